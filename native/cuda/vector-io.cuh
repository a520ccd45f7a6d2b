// Eight-wide vector IO for the kernels that move 16 bytes per access: rows of float, __half or
// int32 loaded into (and stored from) float[8] registers; and, for their launchers, the alignment
// checks made before choosing them and the dispatch on vectors per lane.
#pragma once

#include <cuda_fp16.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "device-math.cuh"

namespace samp::cuda {

/// Whether p is 16-byte aligned (a uint4 / float4 access may start there).
inline bool aligned16(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
}

/// Whether p is 8-byte aligned (eight one-byte codes may be stored there as one uint2).
inline bool aligned8(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % 8 == 0;
}

/// Calls launch(std::integral_constant<int, k>{}) with k = vectors when it is one of 1 … kMax − 1,
/// else with k = kMax: the host-side choice of a kernel instantiated for k eight-wide vectors per
/// lane.
template <int kMax, int k = 1, typename Launch>
void dispatch_vectors_per_lane(int vectors, const Launch& launch) {
  if constexpr (k < kMax) {
    if (vectors != k)
      return dispatch_vectors_per_lane<kMax, k + 1>(vectors, launch);
  }
  launch(std::integral_constant<int, k>{});
}

namespace dev {

/// Loads 8 int32 at p (16-byte aligned) as floats.
__device__ __forceinline__ void load8(const int32_t* p, float* v) {
  const int4 a = reinterpret_cast<const int4*>(p)[0], b = reinterpret_cast<const int4*>(p)[1];
  const int x[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
  for (int i = 0; i < 8; ++i)
    v[i] = static_cast<float>(x[i]);
}

/// Loads 8 floats at p (16-byte aligned) with two float4 reads.
__device__ __forceinline__ void load8(const float* p, float* v) {
  const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
  const float x[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
  for (int i = 0; i < 8; ++i)
    v[i] = x[i];
}

/// Loads 8 halves at p (16-byte aligned) with one uint4 read, widened to float.
__device__ __forceinline__ void load8(const __half* p, float* v) {
  const uint4 a = *reinterpret_cast<const uint4*>(p);
  const __half2* h = reinterpret_cast<const __half2*>(&a);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __half22float2(h[i]);
    v[2 * i] = f.x;
    v[2 * i + 1] = f.y;
  }
}

/// Loads the sum of `count` (at most kMaxParts) groups of 8 values `stride` elements apart (the k
/// parts of a split product) as load8 does one: int32 parts are added as integers (exact, as one
/// product would be) before the conversion, others in part order in FP32. The loop is unrolled to
/// kMaxParts with a guard, so every part's loads are in flight before the first add.
template <int kMaxParts, typename T>
__device__ __forceinline__ void load8_parts(const T* p, int count, size_t stride, float* v) {
  if constexpr (std::is_same_v<T, int32_t>) {
    int4 a = reinterpret_cast<const int4*>(p)[0], b = reinterpret_cast<const int4*>(p)[1];
    int4 c[kMaxParts], d[kMaxParts];
#pragma unroll
    for (int s = 1; s < kMaxParts; ++s) {
      if (s < count) {
        const int4* q = reinterpret_cast<const int4*>(p + s * stride);
        c[s] = q[0];
        d[s] = q[1];
      }
    }
#pragma unroll
    for (int s = 1; s < kMaxParts; ++s) {
      if (s < count) {
        a = make_int4(a.x + c[s].x, a.y + c[s].y, a.z + c[s].z, a.w + c[s].w);
        b = make_int4(b.x + d[s].x, b.y + d[s].y, b.z + d[s].z, b.w + d[s].w);
      }
    }
    const int x[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
    for (int i = 0; i < 8; ++i)
      v[i] = static_cast<float>(x[i]);
  } else {
    load8(p, v);
    float part[kMaxParts][8];
#pragma unroll
    for (int s = 1; s < kMaxParts; ++s) {
      if (s < count)
        load8(p + s * stride, part[s]);
    }
#pragma unroll
    for (int s = 1; s < kMaxParts; ++s) {
      if (s < count) {
#pragma unroll
        for (int i = 0; i < 8; ++i)
          v[i] += part[s][i];
      }
    }
  }
}

/// Loads the 8 values at base + offset as load8 does, or sets all 8 to `fill` where base is null
/// (an optional operand: no scales, no bias, no residual).
template <typename T>
__device__ __forceinline__ void load8_or(const T* base, size_t offset, float fill, float* v) {
  if (base != nullptr) {
    load8(base + offset, v);
  } else {
#pragma unroll
    for (int i = 0; i < 8; ++i)
      v[i] = fill;
  }
}

/// Stores 8 floats at p (16-byte aligned) with two float4 writes.
__device__ __forceinline__ void store8(float* p, const float* v) {
  reinterpret_cast<float4*>(p)[0] = make_float4(v[0], v[1], v[2], v[3]);
  reinterpret_cast<float4*>(p)[1] = make_float4(v[4], v[5], v[6], v[7]);
}

/// Stores 8 floats at p (16-byte aligned) as halves (round to nearest even), one uint4 write.
__device__ __forceinline__ void store8(__half* p, const float* v) {
  uint4 o;
  __half2* h = reinterpret_cast<__half2*>(&o);
#pragma unroll
  for (int i = 0; i < 4; ++i)
    h[i] = __floats2half2_rn(v[2 * i], v[2 * i + 1]);
  *reinterpret_cast<uint4*>(p) = o;
}

/// Stores the quantized codes of v[i] · inv[i] (int8 or FP8, see store_quantized) at p (8-byte
/// aligned) with one uint2 write.
template <typename Q>
__device__ __forceinline__ void store8_quantized(Q* p, const float* v, const float* inv) {
  Q codes[8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
    store_quantized(codes + i, v[i] * inv[i]);
  *reinterpret_cast<uint2*>(p) = *reinterpret_cast<const uint2*>(codes);
}

/// Stores 8 values at p as T and, where `codes` is set, the codes of the stored (rounded) values
/// with one inverse scale: what a LayerNorm hands the quantized GEMM after it, which reads the
/// same values a float consumer of `p` would; where `wide` is set, the stored values as FP32 too
/// (the encoder's output, written by its last LayerNorm).
template <typename T, typename Q>
__device__ __forceinline__ void store8_with_codes(T* p, Q* codes, float inv, const float* v,
                                                  float* wide = nullptr) {
  store8(p, v);
  if (codes != nullptr || wide != nullptr) {
    float stored[8], invs[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      stored[e] = to_f(from_f<T>(v[e]));
      invs[e] = inv;
    }
    if (codes != nullptr)
      store8_quantized(codes, stored, invs);
    if (wide != nullptr)
      store8(wide, stored);
  }
}

/// Row kernels of at most this many rows hold their weights in registers from before the wait on
/// the previous kernel (LaneParams8); at more rows those registers cost more occupancy than the
/// early loads gain (measured on the H100, session 13: −4 to −6% at batch 1, +2% at batch 128).
constexpr int kHeldParamsMaxRows = 512;

/// A per-column parameter row (bias, scales, gamma, beta; `fill` where it is null) as a lane reads
/// it: group i is columns 8 · (lane + 32i) …, valid below `vectors`. kHeld: loaded into registers
/// when made, which the row kernels do before waiting on the previous kernel (weights never depend
/// on it), so at few rows the loads overlap that kernel's end; otherwise read at each get().
template <int kVec, bool kHeld>
struct LaneParams8 {
  const float* p;
  float fill;
  float held[kHeld ? kVec : 1][8];

  __device__ __forceinline__ LaneParams8(const float* params, float fill_value, int lane,
                                         int vectors)
      : p(params), fill(fill_value) {
    if constexpr (kHeld) {
#pragma unroll
      for (int i = 0; i < kVec; ++i) {
        const int vi = lane + 32 * i;
        if (vi < vectors)
          load8_or(p, static_cast<size_t>(vi) * 8, fill, held[i]);
      }
    }
  }

  /// Group i (vector vi = lane + 32i) of the row.
  __device__ __forceinline__ void get(int i, int vi, float (&out)[8]) const {
    if constexpr (kHeld) {
#pragma unroll
      for (int e = 0; e < 8; ++e)
        out[e] = held[i][e];
    } else {
      load8_or(p, static_cast<size_t>(vi) * 8, fill, out);
    }
  }
};

/// Group vi of a row (columns 8 · vi …, parameter group i of `gamma` / `beta`) normalized with
/// `stats` and stored as store8_with_codes does: the step normalize_row8 and normalize_spread_row8
/// share, so that the two forms give the same bits.
template <int kVec, bool kHeld, typename T, typename Q>
__device__ __forceinline__ void normalize_group8(const float (&v)[8], const RowStats& stats, int i,
                                                 int vi, const LaneParams8<kVec, kHeld>& gamma,
                                                 const LaneParams8<kVec, kHeld>& beta, T* out,
                                                 Q* codes, float inv_scale, float* wide) {
  const int c = vi * 8;
  float g[8], b[8], o[8];
  gamma.get(i, vi, g);
  beta.get(i, vi, b);
#pragma unroll
  for (int e = 0; e < 8; ++e)
    o[e] = (v[e] - stats.mean) * stats.inv_std * g[e] + b[e];
  store8_with_codes(out + c, codes != nullptr ? codes + c : nullptr, inv_scale, o,
                    wide != nullptr ? wide + c : nullptr);
}

/// The LayerNorm of a row held by one warp as kVec groups of 8 FP32 values a lane (group i is
/// columns 8 · (lane + 32i) …, valid below `vectors`; `sum` the lane's sum of its valid values),
/// written to `out` eight values at a time, and where `codes` / `wide` are set their codes and
/// FP32 copies (store8_with_codes). The embedding, the FP16 bias + residual + LayerNorm and the
/// LayerNorm + quantize kernels all end this way.
template <int kVec, bool kHeld, typename T, typename Q>
__device__ __forceinline__ void normalize_row8(const float (&v)[kVec][8], float sum, int lane,
                                               int vectors, int width, float eps,
                                               const LaneParams8<kVec, kHeld>& gamma,
                                               const LaneParams8<kVec, kHeld>& beta, T* out,
                                               Q* codes, float inv_scale, float* wide = nullptr) {
  const RowStats stats = warp_row_stats<kVec, 8>(&v[0][0], sum, lane, vectors, width, eps);
#pragma unroll
  for (int i = 0; i < kVec; ++i) {
    const int vi = lane + 32 * i;
    if (vi < vectors)
      normalize_group8(v[i], stats, i, vi, gamma, beta, out, codes, inv_scale, wide);
  }
}

/// normalize_row8 for a row spread over a block of 32 · kVec threads (the LayerNorm kernels at
/// most kSpreadLayerNormMaxRows rows), one group of 8 values a
/// thread (group threadIdx.x, valid below `vectors`; gamma and beta made with lane = threadIdx.x
/// and kVec 1). The statistics are normalize_row8's bit for bit: warp 0 gathers the row from
/// shared memory into the warp form's layout (kVec groups a lane), sums it in the same order and
/// takes warp_row_stats, so the two forms of a row kernel agree at any row count (padding removal
/// changes the count, never the results). Every thread of the block calls it.
template <int kVec, typename T, typename Q>
__device__ __forceinline__ void normalize_spread_row8(const float (&v)[8], int vectors, int width,
                                                      float eps, const LaneParams8<1, true>& gamma,
                                                      const LaneParams8<1, true>& beta, T* out,
                                                      Q* codes, float inv_scale,
                                                      float* wide = nullptr) {
  __shared__ float4 row[kVec * 32 * 2];  // the row's values, group g at row[2g], row[2g + 1]
  __shared__ RowStats stats;
  const int vi = threadIdx.x;
  if (vi < vectors) {
    row[2 * vi] = make_float4(v[0], v[1], v[2], v[3]);
    row[2 * vi + 1] = make_float4(v[4], v[5], v[6], v[7]);
  }
  __syncthreads();
  if (threadIdx.x < 32) {
    const int lane = threadIdx.x;
    float held[kVec][8];
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < kVec; ++i) {
      const int g = lane + 32 * i;
#pragma unroll
      for (int e = 0; e < 8; ++e)
        held[i][e] = 0.0f;
      if (g < vectors) {
        const float4 a = row[2 * g], b = row[2 * g + 1];
        const float x[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          held[i][e] = x[e];
          sum += x[e];
        }
      }
    }
    const RowStats s = warp_row_stats<kVec, 8>(&held[0][0], sum, lane, vectors, width, eps);
    if (lane == 0)
      stats = s;
  }
  __syncthreads();
  if (vi < vectors)
    normalize_group8(v, stats, 0, vi, gamma, beta, out, codes, inv_scale, wide);
}

}  // namespace dev

/// Calls launch(std::bool_constant<kHeld>{}) with kHeld = rows ≤ dev::kHeldParamsMaxRows: the
/// host-side choice of a row kernel's dev::LaneParams8 form.
template <typename Launch>
void dispatch_held_params(int rows, const Launch& launch) {
  if (rows <= dev::kHeldParamsMaxRows)
    launch(std::true_type{});
  else
    launch(std::false_type{});
}

}  // namespace samp::cuda
