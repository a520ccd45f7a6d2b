// What the fused GEMM kernels (gemm-fused.cu on mma.sync, the wgmma ones of gemm-wgmma*.cu) share:
// their launchers' operand checks, grid of 128 × 128 blocks and shared-memory permission, their
// accumulator types, and the epilogue pass over a block's accumulators once they are staged in
// shared memory. Each thread keeps one group of 8 adjacent columns (Columns8: their scales, bias
// and inverse output scales in registers) and walks the block's rows: 16-byte stores and a short
// loop, where the activations unrolled over a thread's fragments would not fit the instruction
// cache. Columns8 is also the epilogue kernel's (launch_dequant_activation: scale = in_scale ·
// w_scale, one FMA with the bias, then the activation), so int8 results match cuBLASLt's int32
// product followed by that kernel bit for bit.
#pragma once

#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "device-math.cuh"
#include "quant-kernels.h"
#include "staging-swizzle.h"
#include "vector-io.cuh"

// The (input, output, code) types both fused kernels are built for: X(In, T, Q) for each. FP8 codes
// need an FP16 session; the FP32 one is built for the encoder's code generic in T and Q.
#define SAMP_FUSED_GEMM_TYPES(X)   \
  X(int8_t, float, int8_t)         \
  X(int8_t, float, __nv_fp8_e4m3)  \
  X(int8_t, __half, int8_t)        \
  X(int8_t, __half, __nv_fp8_e4m3) \
  X(__half, __half, int8_t)        \
  X(__half, __half, __nv_fp8_e4m3)

namespace samp::cuda::fused {

constexpr int kTileRows = 128;  // tokens per block
constexpr int kTileCols = 128;  // output columns per block

/// Whether the optional per-column arrays the epilogues read with 16-byte loads (weight scales,
/// bias, inverse output scales) are null or 16-byte aligned.
template <typename Q>
inline bool params_aligned(const Dequant& dq, const QuantOut<Q>& q) {
  return aligned16(dq.w_scales) && aligned16(dq.bias) && aligned16(q.inv_scales);
}

/// Whether the launch's sizes and pointers suit the kernels: `supported` (the kernel's shape
/// rule), tokens ≥ 0, x, w and out 16-byte aligned (loads and stores of 16 bytes), the codes
/// 8-byte, the epilogue's per-column arrays as params_aligned.
template <typename Q>
inline bool launchable(bool supported, int tokens, const void* x, const void* w, const void* out,
                       const Dequant& dq, const QuantOut<Q>& q) {
  return supported && tokens >= 0 && aligned16(x) && aligned16(w) && aligned16(out) &&
         aligned8(q.q) && params_aligned(dq, q);
}

/// Lets `kernel` use `bytes` of dynamic shared memory, unless `previous` (an earlier such call of
/// the same allow_*_shared_bytes()) failed: that error is kept.
template <typename Kernel>
inline cudaError_t allow_shared_bytes(cudaError_t previous, Kernel kernel, int bytes) {
  if (previous != cudaSuccess)
    return previous;
  return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
}

/// Blocks over the output's columns (x) and token rows (y).
inline dim3 grid(int tokens, int n) {
  return dim3(static_cast<unsigned>(n / kTileCols),
              static_cast<unsigned>((tokens + kTileRows - 1) / kTileRows));
}

/// The accumulator type of a fused GEMM's inputs: exact int32 sums for int8, FP32 otherwise.
template <typename In>
struct Accumulator {
  using type = float;
};
template <>
struct Accumulator<int8_t> {
  using type = int;
};

/// The value of an accumulator from its 32 bits.
template <typename Acc>
__device__ __forceinline__ float from_bits(unsigned bits);
template <>
__device__ __forceinline__ float from_bits<int>(unsigned bits) {
  return static_cast<float>(static_cast<int>(bits));
}
template <>
__device__ __forceinline__ float from_bits<float>(unsigned bits) {
  return __uint_as_float(bits);
}
template <>  // staged FP16 values, read as FP32 bits (load_staged8)
__device__ __forceinline__ float from_bits<__half>(unsigned bits) {
  return __uint_as_float(bits);
}

/// The epilogue of 8 adjacent output columns col … col + 7: their scales (in_scale · w_scales),
/// biases and inverse output scales, read once by the thread that owns them; store() turns 8
/// products into act(product · scale + bias) and stores them as T and / or codes. The one place
/// the epilogue kernel (launch_dequant_activation) and the fused GEMMs write these operations, so
/// their results agree bit for bit.
struct Columns8 {
  float scale[8], bias[8], inv[8];

  template <typename Q>
  __device__ __forceinline__ Columns8(const Dequant& dq, const QuantOut<Q>& q, int col) {
    // 16-byte loads: the launchers check that these arrays are 16-byte aligned (params_aligned).
    float w[8];
    dev::load8_or(dq.w_scales, col, 1.0f, w);
    dev::load8_or(dq.bias, col, 0.0f, bias);
    dev::load8_or(q.inv_scales, col, q.inv_scale, inv);
#pragma unroll
    for (int e = 0; e < 8; ++e)
      scale[e] = dq.in_scale * w[e];
  }

  /// v = act(v · scale + bias); kForHalf: only rounded to FP16 next (dev::activate_for_half).
  template <Activation kAct, bool kForHalf = false>
  __device__ __forceinline__ void apply(float (&v)[8]) const {
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      const float x = v[e] * scale[e] + bias[e];
      v[e] = kForHalf ? dev::activate_for_half<kAct>(x) : dev::activate<kAct>(x);
    }
  }

  /// v = act(v · scale + bias), stored at out and as codes at `codes` (either may be null).
  template <Activation kAct, typename T, typename Q>
  __device__ __forceinline__ void store(float (&v)[8], T* out, Q* codes) const {
    apply<kAct>(v);
    if (out != nullptr)
      dev::store8(out, v);
    if (codes != nullptr)
      dev::store8_quantized(codes, v, inv);
  }

  /// store() with which of out and codes are written known at compile time.
  template <Activation kAct, bool kOut, bool kCodes, typename T, typename Q>
  __device__ __forceinline__ void store_to(float (&v)[8], T* out, Q* codes) const {
    // Codes must be the CPU's (exact GELU); an FP16-only output may take the cheaper GELU.
    apply<kAct, kOut && !kCodes && std::is_same_v<T, __half>>(v);
    if constexpr (kOut)
      dev::store8(out, v);
    if constexpr (kCodes)
      dev::store8_quantized(codes, v, inv);
  }
};

/// Stages accumulators a and b (adjacent columns) at `at` (8-byte aligned) with one 64-bit store:
/// with rows 8 banks apart (a row stride of 8 mod 32 words) the 16 lanes of a half warp, holding
/// columns 2t of rows g … g + 3 of an mma fragment, then touch all 32 banks once.
template <typename Acc>
__device__ __forceinline__ void stage_pair(Acc* at, Acc a, Acc b) {
  using Pair = std::conditional_t<std::is_same_v<Acc, int>, int2, float2>;
  *reinterpret_cast<Pair*>(at) = Pair{a, b};
}

/// Stages FP32 sums a and b (adjacent columns) rounded to FP16, as one 32-bit store.
__device__ __forceinline__ void stage_pair(__half* at, float a, float b) {
  *reinterpret_cast<__half2*>(at) = __floats2half2_rn(a, b);
}

/// The 8 staged FP16 values at `at` (16-byte aligned, one 16-byte load: dev::load8) as the bits of
/// their FP32 values.
__device__ __forceinline__ void load_staged8(const __half* at, int, unsigned (&bits)[8]) {
  float v[8];
  dev::load8(at, v);
#pragma unroll
  for (int e = 0; e < 8; ++e)
    bits[e] = __float_as_uint(v[e]);
}

/// The 8 staged accumulators at `at` (16-byte aligned; column c of a row whose 16 column groups
/// are read by 16 consecutive threads) as bits. A 16-byte load is served a quarter warp at a time:
/// 8 threads 32 bytes apart cover only half the banks twice over, so groups 4–7 of each 8 read
/// their second 16 bytes first and each quarter warp touches all 32 banks once.
__device__ __forceinline__ void load_staged8(const void* at, int c, unsigned (&bits)[8]) {
  const uint4* p = static_cast<const uint4*>(at);
  const bool odd = (c >> 5) & 1;
  const uint4 first = p[odd ? 1 : 0], second = p[odd ? 0 : 1];
  const uint4 lo = odd ? second : first, hi = odd ? first : second;
  bits[0] = lo.x, bits[1] = lo.y, bits[2] = lo.z, bits[3] = lo.w;
  bits[4] = hi.x, bits[5] = hi.y, bits[6] = hi.z, bits[7] = hi.w;
}

/// load_staged8 for staged FP32 values.
__device__ __forceinline__ void load_staged8(const float* at, int c, float (&v)[8]) {
  unsigned bits[8];
  load_staged8(at, c, bits);
#pragma unroll
  for (int e = 0; e < 8; ++e)
    v[e] = __uint_as_float(bits[e]);
}

/// Stores 8 FP32 values where load_staged8 reads them, in its order.
__device__ __forceinline__ void store_staged8(float* at, int c, const float (&v)[8]) {
  float4* p = reinterpret_cast<float4*>(at);
  const bool odd = (c >> 5) & 1;
  const float4 lo = make_float4(v[0], v[1], v[2], v[3]), hi = make_float4(v[4], v[5], v[6], v[7]);
  p[odd ? 1 : 0] = odd ? hi : lo;
  p[odd ? 0 : 1] = odd ? lo : hi;
}

/// Calls f(kOut, kCodes) as std::bool_constant values for which of the two outputs are set.
template <typename F>
__device__ __forceinline__ void with_outputs(bool out, bool codes, const F& f) {
  if (out && codes)
    f(std::true_type{}, std::true_type{});
  else if (out)
    f(std::true_type{}, std::false_type{});
  else if (codes)
    f(std::false_type{}, std::true_type{});
}

/// out[row0 + r, col0 + c] = act(tile[r, c] · in_scale · w_scales + bias) and its codes, for the
/// kRows × kCols accumulators at `tile` (row stride ld, 16-byte aligned rows) and rows below
/// `tokens`; called by kThreads threads (a multiple of kCols / 8), `tid` 0 … kThreads − 1. Several
/// rows a step, all loaded before any is stored, pointers advanced rather than recomputed and the
/// outputs known at compile time: in the TMA kernel this loop runs on one warp a scheduler beside
/// another consumer's products, and it was that kernel's limit. kSwizzled: the tile is staged
/// unpadded (ld = kCols) at swizzled_offset(); Acc __half: FP16-rounded sums.
template <int kThreads, int kRows, int kCols, bool kSwizzled = false, typename Acc, typename T,
          typename Q>
__device__ __forceinline__ void store_tile(int tid, const Acc* tile, int ld, int row0, int col0,
                                           int tokens, const Dequant& dq, Activation act, T* out,
                                           int ld_out, const QuantOut<Q>& q) {
  static_assert(kThreads % (kCols / 8) == 0, "a thread's columns stay the same from row to row");
  constexpr int kStep = kThreads / (kCols / 8);  // rows between a thread's rows
  // Rows loaded ahead of their stores: four for int32 sums; FP16's FP32 sums keep two, as the
  // four-row loop measured slower there in the encoder (FP16 batch 32: 1.83 against 1.76 ms).
  constexpr int kRowsPerStep = std::is_same_v<Acc, int> ? 4 : 2;
  const int c = (tid % (kCols / 8)) * 8;
  const int col = col0 + c;
  const int first = tid / (kCols / 8);
  const int rows = tokens - row0 < kRows ? tokens - row0 : kRows;
  if (first >= rows)
    return;
  const Columns8 columns(dq, q, col);
  // A thread's rows are kStep apart, a multiple of 8 when swizzled, so its chunks' swizzle (by
  // row mod 4 or 8) is the same from row to row.
  static_assert(!kSwizzled || (kStep % 8 == 0 && kCols == 128), "one swizzle for all its rows");
  const Acc* from = tile + (kSwizzled ? swizzled_offset<sizeof(Acc)>(first, c) : first * ld + c);
  T* to = out != nullptr ? out + static_cast<std::size_t>(row0 + first) * ld_out + col : nullptr;
  Q* codes = q.q != nullptr ? q.q + static_cast<std::size_t>(row0 + first) * q.ld + col : nullptr;
  const std::size_t to_step = static_cast<std::size_t>(kStep) * ld_out;
  const std::size_t codes_step = static_cast<std::size_t>(kStep) * q.ld;
  with_outputs(to != nullptr, codes != nullptr, [&](auto has_out, auto has_codes) {
    constexpr bool kOut = decltype(has_out)::value, kCodes = decltype(has_codes)::value;
    dev::with_activation(act, [&](auto kind) {
      // Row `r` steps past the current one, from its loaded bits.
      const auto store_row = [&](int r, const unsigned (&bits)[8]) {
        float v[8];
#pragma unroll
        for (int e = 0; e < 8; ++e)
          v[e] = from_bits<Acc>(bits[e]);
        columns.store_to<decltype(kind)::value, kOut, kCodes>(
            v, kOut ? to + r * to_step : nullptr, kCodes ? codes + r * codes_step : nullptr);
      };
      const auto advance = [&](int steps) {
        from += steps * kStep * ld;
        if constexpr (kOut)
          to += steps * to_step;
        if constexpr (kCodes)
          codes += steps * codes_step;
      };
      int r = first;
#pragma unroll 1
      for (; r + (kRowsPerStep - 1) * kStep < rows; r += kRowsPerStep * kStep) {
        unsigned bits[kRowsPerStep][8];
#pragma unroll
        for (int i = 0; i < kRowsPerStep; ++i)
          load_staged8(from + i * kStep * ld, c, bits[i]);
#pragma unroll
        for (int i = 0; i < kRowsPerStep; ++i)
          store_row(i, bits[i]);
        advance(kRowsPerStep);
      }
#pragma unroll 1
      for (; r < rows; r += kStep) {
        unsigned bits[8];
        load_staged8(from, c, bits);
        store_row(0, bits);
        advance(1);
      }
    });
  });
}

}  // namespace samp::cuda::fused
