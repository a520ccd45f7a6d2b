// Dequantize + bias + activation (+ quantize), and dequantize + bias + residual + LayerNorm
// (+ quantize): the epilogues of the INT8 / FP8 GEMMs and the producers of their inputs.
#include <cstdint>
#include <type_traits>

#include "device-math.cuh"
#include "fused-epilogue.cuh"
#include "kernels.h"
#include "launch.h"
#include "quant-kernels.h"
#include "vector-io.cuh"

namespace samp::cuda {
namespace {

template <typename In>
__device__ __forceinline__ float dequantize(In v, const Dequant& dq, int c) {
  float x = dev::to_f(v) * dq.in_scale;
  if (dq.w_scales != nullptr)
    x *= dq.w_scales[c];
  if (dq.bias != nullptr)
    x += dq.bias[c];
  return x;
}

template <typename Q>
__device__ __forceinline__ void quantize_to(const QuantOut<Q>& q, size_t at, int c, float v) {
  const float inv = q.inv_scales != nullptr ? q.inv_scales[c] : q.inv_scale;
  dev::store_quantized(q.q + at, v * inv);
}

// Rows over blockIdx.y (strided past 65,535), columns over x.
template <typename In, typename T, typename Q>
__global__ void dequant_activation_kernel(const In* __restrict__ in, int ld_in, int rows, int cols,
                                          Dequant dq, Activation act, T* out, int ld_out,
                                          QuantOut<Q> q) {
  dev::wait_for_previous_kernel();
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= cols)
    return;
  for (int r = blockIdx.y; r < rows; r += gridDim.y) {
    const float v = dev::activate(act, dequantize(in[static_cast<size_t>(r) * ld_in + c], dq, c));
    if (out != nullptr)
      out[static_cast<size_t>(r) * ld_out + c] = dev::from_f<T>(v);
    if (q.q != nullptr)
      quantize_to(q, static_cast<size_t>(r) * q.ld + c, c, v);
  }
}

// Eight columns per thread with 16-byte loads and stores (cols and strides multiples of 8, pointers
// 16-byte aligned); the weight scales and bias of the thread's columns are read once, before the
// wait on the previous kernel (they never depend on it).
template <typename In, typename T, typename Q>
__global__ void dequant_activation_vec8_kernel(const In* __restrict__ in, int ld_in, int rows,
                                               int cols, Dequant dq, Activation act, T* out,
                                               int ld_out, QuantOut<Q> q) {
  const int c = (blockIdx.x * blockDim.x + threadIdx.x) * 8;
  if (c >= cols)
    return;
  const fused::Columns8 columns(dq, q, c);
  dev::wait_for_previous_kernel();
  // The next row's input is loaded before this row is stored: `out` may alias `in` (the compiler
  // cannot move loads above those stores), so this keeps two rows of loads in flight.
  float next[8];
  int r = blockIdx.y;
  if (r < rows)
    dev::load8(in + static_cast<size_t>(r) * ld_in + c, next);
  dev::with_activation(act, [&](auto kind) {
    for (; r < rows; r += gridDim.y) {
      float v[8];
#pragma unroll
      for (int i = 0; i < 8; ++i)
        v[i] = next[i];
      if (r + static_cast<int>(gridDim.y) < rows)
        dev::load8(in + static_cast<size_t>(r + gridDim.y) * ld_in + c, next);
      columns.store<decltype(kind)::value>(
          v, out != nullptr ? out + static_cast<size_t>(r) * ld_out + c : nullptr,
          q.q != nullptr ? q.q + static_cast<size_t>(r) * q.ld + c : nullptr);
    }
  });
}

// One warp per row, the row in registers as FP32 (two exact passes for mean and variance).
template <typename In, typename T, typename Q, int kPerLane>
__global__ void __launch_bounds__(128)
    layer_norm_quantize_kernel(const In* __restrict__ in, Dequant dq,
                               const T* __restrict__ residual, const float* __restrict__ gamma,
                               const float* __restrict__ beta, int rows, int width, float eps,
                               T* out, QuantOut<Q> q) {
  dev::wait_for_previous_kernel();
  const int row = blockIdx.x * 4 + (threadIdx.x >> 5);
  if (row >= rows)
    return;
  const int lane = threadIdx.x & 31;
  const size_t base = static_cast<size_t>(row) * width;
  float v[kPerLane];
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    v[i] = 0.0f;
    if (c < width) {
      v[i] = dequantize(in[base + c], dq, c) +
             (residual != nullptr ? dev::to_f(residual[base + c]) : 0.0f);
      sum += v[i];
    }
  }
  const dev::RowStats stats = dev::warp_row_stats<kPerLane, 1>(v, sum, lane, width, width, eps);
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    if (c < width) {
      // The quantized copy is made from the stored (rounded) value, as a consumer reading `out`
      // and quantizing it would.
      const T o = dev::from_f<T>((v[i] - stats.mean) * stats.inv_std * gamma[c] + beta[c]);
      out[base + c] = o;
      if (q.q != nullptr)
        quantize_to(q, static_cast<size_t>(row) * q.ld + c, c, dev::to_f(o));
    }
  }
}

// The same LayerNorm with eight columns per lane step (width a multiple of 8, up to 256 × kVec):
// 16-byte loads of the input, residual, scales, bias, gamma and beta (kHeld: the last four into
// registers before the wait on the previous kernel, dev::LaneParams8).
template <typename In, typename T, typename Q, int kVec, bool kHeld>
__global__ void __launch_bounds__(128)
    layer_norm_quantize_vec8_kernel(const In* __restrict__ in, Dequant dq,
                                    const T* __restrict__ residual, const float* __restrict__ gamma,
                                    const float* __restrict__ beta, int rows, int width, float eps,
                                    T* out, QuantOut<Q> q, InputParts parts, float* wide) {
  const int lane = threadIdx.x & 31;
  const int vectors = width / 8;
  const dev::LaneParams8<kVec, kHeld> w_scales(dq.w_scales, 1.0f, lane, vectors),
      bias(dq.bias, 0.0f, lane, vectors), g(gamma, 1.0f, lane, vectors),
      bt(beta, 0.0f, lane, vectors);
  dev::wait_for_previous_kernel();
  const int row = blockIdx.x * 4 + (threadIdx.x >> 5);
  if (row >= rows)
    return;
  const size_t base = static_cast<size_t>(row) * width;
  float v[kVec][8];
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < kVec; ++i) {
    const int vi = lane + 32 * i;
    if (vi >= vectors)
      continue;
    const int c = vi * 8;
    // Parts come only with few rows (k parts run up to 256 tokens): the many-rows form keeps to
    // one part, and its registers.
    dev::load8_parts<kHeld ? kMaxInputParts : 1>(in + base + c, parts.count, parts.stride, v[i]);
    float scale[8], add[8], res[8];
    w_scales.get(i, vi, scale);
    bias.get(i, vi, add);
    dev::load8_or(residual, base + c, 0.0f, res);
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      v[i][e] = v[i][e] * dq.in_scale * scale[e] + add[e] + res[e];
      sum += v[i][e];
    }
  }
  // The quantized copy is made from the stored (rounded) value, as in the scalar kernel.
  dev::normalize_row8<kVec>(v, sum, lane, vectors, width, eps, g, bt, out + base,
                            q.q != nullptr ? q.q + static_cast<size_t>(row) * q.ld : nullptr,
                            q.inv_scale, wide != nullptr ? wide + base : nullptr);
}

// The vec8 kernel for few rows (kSpreadLayerNormMaxRows): a row a block of 32 · kVec threads, one
// group of 8 columns a thread, the same operations in the same order (dev::normalize_spread_row8).
template <typename In, typename T, typename Q, int kVec>
__global__ void __launch_bounds__(32 * kVec)
    layer_norm_quantize_spread_kernel(const In* __restrict__ in, Dequant dq,
                                      const T* __restrict__ residual,
                                      const float* __restrict__ gamma,
                                      const float* __restrict__ beta, int width, float eps, T* out,
                                      QuantOut<Q> q, InputParts parts, float* wide) {
  const int vi = threadIdx.x;
  const int vectors = width / 8;
  const dev::LaneParams8<1, true> w_scales(dq.w_scales, 1.0f, vi, vectors),
      bias(dq.bias, 0.0f, vi, vectors), g(gamma, 1.0f, vi, vectors), bt(beta, 0.0f, vi, vectors);
  dev::wait_for_previous_kernel();
  const int row = blockIdx.x;
  const size_t base = static_cast<size_t>(row) * width;
  float v[8] = {};
  if (vi < vectors) {
    const int c = vi * 8;
    dev::load8_parts<kMaxInputParts>(in + base + c, parts.count, parts.stride, v);
    float scale[8], add[8], res[8];
    w_scales.get(0, vi, scale);
    bias.get(0, vi, add);
    dev::load8_or(residual, base + c, 0.0f, res);
#pragma unroll
    for (int e = 0; e < 8; ++e)
      v[e] = v[e] * dq.in_scale * scale[e] + add[e] + res[e];
  }
  dev::normalize_spread_row8<kVec>(v, vectors, width, eps, g, bt, out + base,
                                   q.q != nullptr ? q.q + static_cast<size_t>(row) * q.ld : nullptr,
                                   q.inv_scale, wide != nullptr ? wide + base : nullptr);
}

}  // namespace

template <typename In, typename T, typename Q>
cudaError_t launch_dequant_activation(const In* in, int ld_in, int rows, int cols,
                                      const Dequant& dq, Activation act, T* out, int ld_out,
                                      const QuantOut<Q>& q, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0)
    return cudaSuccess;
  constexpr int kThreads = 256;
  const bool vec8 = cols % 8 == 0 && ld_in % 8 == 0 && (out == nullptr || ld_out % 8 == 0) &&
                    (q.q == nullptr || q.ld % 8 == 0) && aligned16(in) &&
                    (out == nullptr || aligned16(out)) && (q.q == nullptr || aligned8(q.q)) &&
                    fused::params_aligned(dq, q);
  if (vec8) {
    // 128 threads × 8 columns per block and up to 512 row groups: each thread keeps its columns'
    // scales and bias in registers over several rows (one row per block re-read them every row).
    const int threads = 128;
    const dim3 grid((cols / 8 + threads - 1) / threads, rows < 512 ? rows : 512);
    return launch_kernel({grid, threads, 0, stream}, dequant_activation_vec8_kernel<In, T, Q>, in,
                         ld_in, rows, cols, dq, act, out, ld_out, q);
  }
  const dim3 grid((cols + kThreads - 1) / kThreads, rows < 512 ? rows : 512);
  return launch_kernel({grid, kThreads, 0, stream}, dequant_activation_kernel<In, T, Q>, in, ld_in,
                       rows, cols, dq, act, out, ld_out, q);
}

static_assert(kMaxPartsRows <= dev::kHeldParamsMaxRows, "parts are added up by the few-rows form");

template <typename In, typename T, typename Q>
cudaError_t launch_layer_norm_quantize(const In* in, const Dequant& dq, const T* residual,
                                       const float* gamma, const float* beta, int rows, int width,
                                       float eps, T* out, const QuantOut<Q>& q, cudaStream_t stream,
                                       InputParts parts, float* wide) {
  if (rows <= 0)
    return cudaSuccess;
  if (width > kMaxQuantizedLayerNormWidth || parts.count < 1 || parts.count > kMaxInputParts ||
      (parts.count > 1 && rows > kMaxPartsRows))
    return cudaErrorInvalidValue;
  const int blocks = (rows + 3) / 4;
  const bool vec8 = width % 8 == 0 && aligned16(in) && aligned16(out) &&
                    (residual == nullptr || aligned16(residual)) &&
                    (dq.w_scales == nullptr || aligned16(dq.w_scales)) &&
                    (dq.bias == nullptr || aligned16(dq.bias)) && aligned16(gamma) &&
                    aligned16(beta) && (q.q == nullptr || (q.ld % 8 == 0 && aligned8(q.q))) &&
                    (wide == nullptr || aligned16(wide));
  if (vec8 && q.inv_scales == nullptr && parts.stride % 4 == 0) {
    cudaError_t err = cudaSuccess;
    dispatch_vectors_per_lane<4>((width / 8 + 31) / 32, [&](auto vectors) {
      constexpr int kVec = decltype(vectors)::value;
      if (rows <= kSpreadLayerNormMaxRows) {
        err = launch_row_spread(rows, 32 * kVec, stream,
                                layer_norm_quantize_spread_kernel<In, T, Q, kVec>, in, dq, residual,
                                gamma, beta, width, eps, out, q, parts, wide);
        return;
      }
      dispatch_held_params(rows, [&](auto held) {
        err = launch_kernel({blocks, 128, 0, stream},
                            layer_norm_quantize_vec8_kernel<In, T, Q, kVec, decltype(held)::value>,
                            in, dq, residual, gamma, beta, rows, width, eps, out, q, parts, wide);
      });
    });
    return err;
  }
  if (parts.count > 1)
    return cudaErrorInvalidValue;  // parts are summed eight columns at a time only
  const cudaError_t err =
      width <= 256
          ? launch_kernel({blocks, 128, 0, stream}, layer_norm_quantize_kernel<In, T, Q, 8>, in, dq,
                          residual, gamma, beta, rows, width, eps, out, q)
          : launch_kernel({blocks, 128, 0, stream}, layer_norm_quantize_kernel<In, T, Q, 32>, in,
                          dq, residual, gamma, beta, rows, width, eps, out, q);
  // This form writes T only: the FP32 copy by a pass of its own.
  if (err == cudaSuccess && wide != nullptr)
    return launch_to_float<T>(out, width, rows, width, wide, stream);
  return err;
}

#define SAMP_QUANT_KERNELS(In, T, Q)                                                            \
  template cudaError_t launch_dequant_activation<In, T, Q>(const In*, int, int, int,            \
                                                           const Dequant&, Activation, T*, int, \
                                                           const QuantOut<Q>&, cudaStream_t);   \
  template cudaError_t launch_layer_norm_quantize<In, T, Q>(                                    \
      const In*, const Dequant&, const T*, const float*, const float*, int, int, float, T*,     \
      const QuantOut<Q>&, cudaStream_t, InputParts, float*);

SAMP_QUANT_KERNELS(int32_t, float, int8_t)
SAMP_QUANT_KERNELS(int32_t, float, __nv_fp8_e4m3)
SAMP_QUANT_KERNELS(int32_t, __half, int8_t)
SAMP_QUANT_KERNELS(int32_t, __half, __nv_fp8_e4m3)
SAMP_QUANT_KERNELS(float, float, int8_t)
SAMP_QUANT_KERNELS(float, __half, int8_t)  // FP16 sessions: the FP32 k parts of run_parts
SAMP_QUANT_KERNELS(float, float, __nv_fp8_e4m3)
SAMP_QUANT_KERNELS(__half, __half, int8_t)
SAMP_QUANT_KERNELS(__half, __half, __nv_fp8_e4m3)

#undef SAMP_QUANT_KERNELS

}  // namespace samp::cuda
