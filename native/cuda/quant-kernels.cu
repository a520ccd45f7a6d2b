// Dequantize + bias + activation (+ quantize), and dequantize + bias + residual + LayerNorm
// (+ quantize): the epilogues of the INT8 / FP8 GEMMs and the producers of their inputs.
#include <type_traits>

#include "device-math.cuh"
#include "quant-kernels.h"

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

// One warp per row, the row in registers as FP32 (two exact passes for mean and variance).
template <typename In, typename T, typename Q, int kPerLane>
__global__ void __launch_bounds__(128)
    layer_norm_quantize_kernel(const In* __restrict__ in, Dequant dq,
                               const T* __restrict__ residual, const float* __restrict__ gamma,
                               const float* __restrict__ beta, int rows, int width, float eps,
                               T* out, QuantOut<Q> q) {
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
  const float mean = dev::warp_sum(sum) / static_cast<float>(width);
  float var = 0.0f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    if (c < width)
      var += (v[i] - mean) * (v[i] - mean);
  }
  const float inv = rsqrtf(dev::warp_sum(var) / static_cast<float>(width) + eps);
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    if (c < width) {
      // The quantized copy is made from the stored (rounded) value, as a consumer reading `out`
      // and quantizing it would.
      const T o = dev::from_f<T>((v[i] - mean) * inv * gamma[c] + beta[c]);
      out[base + c] = o;
      if (q.q != nullptr)
        quantize_to(q, static_cast<size_t>(row) * q.ld + c, c, dev::to_f(o));
    }
  }
}

}  // namespace

template <typename In, typename T, typename Q>
cudaError_t launch_dequant_activation(const In* in, int ld_in, int rows, int cols,
                                      const Dequant& dq, Activation act, T* out, int ld_out,
                                      const QuantOut<Q>& q, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0)
    return cudaSuccess;
  constexpr int kThreads = 256;
  const dim3 grid((cols + kThreads - 1) / kThreads, rows < 65535 ? rows : 65535);
  dequant_activation_kernel<In, T, Q>
      <<<grid, kThreads, 0, stream>>>(in, ld_in, rows, cols, dq, act, out, ld_out, q);
  return cudaGetLastError();
}

template <typename In, typename T, typename Q>
cudaError_t launch_layer_norm_quantize(const In* in, const Dequant& dq, const T* residual,
                                       const float* gamma, const float* beta, int rows,
                                       int width, float eps, T* out, const QuantOut<Q>& q,
                                       cudaStream_t stream) {
  if (rows <= 0)
    return cudaSuccess;
  if (width > kMaxQuantizedLayerNormWidth)
    return cudaErrorInvalidValue;
  const int blocks = (rows + 3) / 4;
  if (width <= 256) {
    layer_norm_quantize_kernel<In, T, Q, 8>
        <<<blocks, 128, 0, stream>>>(in, dq, residual, gamma, beta, rows, width, eps, out, q);
  } else {
    layer_norm_quantize_kernel<In, T, Q, 32>
        <<<blocks, 128, 0, stream>>>(in, dq, residual, gamma, beta, rows, width, eps, out, q);
  }
  return cudaGetLastError();
}

#define SAMP_QUANT_KERNELS(In, T, Q)                                                              \
  template cudaError_t launch_dequant_activation<In, T, Q>(const In*, int, int, int,              \
                                                           const Dequant&, Activation, T*, int,    \
                                                           const QuantOut<Q>&, cudaStream_t);      \
  template cudaError_t launch_layer_norm_quantize<In, T, Q>(                                      \
      const In*, const Dequant&, const T*, const float*, const float*, int, int, float, T*,        \
      const QuantOut<Q>&, cudaStream_t);

SAMP_QUANT_KERNELS(int32_t, float, int8_t)
SAMP_QUANT_KERNELS(int32_t, float, __nv_fp8_e4m3)
SAMP_QUANT_KERNELS(int32_t, __half, int8_t)
SAMP_QUANT_KERNELS(int32_t, __half, __nv_fp8_e4m3)
SAMP_QUANT_KERNELS(float, float, int8_t)
SAMP_QUANT_KERNELS(float, float, __nv_fp8_e4m3)
SAMP_QUANT_KERNELS(__half, __half, int8_t)
SAMP_QUANT_KERNELS(__half, __half, __nv_fp8_e4m3)

#undef SAMP_QUANT_KERNELS

}  // namespace samp::cuda
