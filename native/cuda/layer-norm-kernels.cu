// The embedding stage and the bias + residual + LayerNorm that ends each attention and FFN block:
// one block per token row, the row kept in shared memory as FP32 so the mean and variance are
// two exact passes (no E[x²] − E[x]² cancellation).
#include "device-math.cuh"
#include "kernels.h"

namespace samp::cuda {
namespace {

constexpr int kThreads = 128;

/// Normalises the FP32 row in `row` (already in shared memory) into out.
template <typename T>
__device__ void normalize_row(const float* row, int width, const float* gamma, const float* beta,
                              float eps, T* out, float* scratch) {
  float s = 0.0f;
  for (int c = threadIdx.x; c < width; c += blockDim.x)
    s += row[c];
  const float mean = dev::block_sum(s, scratch) / static_cast<float>(width);
  float v = 0.0f;
  for (int c = threadIdx.x; c < width; c += blockDim.x) {
    const float d = row[c] - mean;
    v += d * d;
  }
  const float var = dev::block_sum(v, scratch) / static_cast<float>(width);
  const float inv = rsqrtf(var + eps);
  for (int c = threadIdx.x; c < width; c += blockDim.x) {
    out[c] = dev::from_f<T>((row[c] - mean) * inv * gamma[c] + beta[c]);
  }
}

template <typename T>
__global__ void embedding_kernel(EmbeddingTables t, const int32_t* ids, const int32_t* positions,
                                 const int32_t* types, T* out) {
  extern __shared__ float row[];
  __shared__ float scratch[32];
  const int token = blockIdx.x;
  const int w = t.width;
  const float* word = t.word + static_cast<size_t>(ids[token]) * w;
  const float* pos = t.position + static_cast<size_t>(positions[token]) * w;
  const float* type =
      t.token_type == nullptr ? nullptr : t.token_type + static_cast<size_t>(types[token]) * w;
  for (int c = threadIdx.x; c < w; c += blockDim.x) {
    float v = word[c] + pos[c];
    if (type != nullptr)
      v += type[c];
    row[c] = v;
  }
  __syncthreads();
  normalize_row(row, w, t.gamma, t.beta, t.eps, out + static_cast<size_t>(token) * w, scratch);
}

template <typename T>
__global__ void bias_residual_ln_kernel(const T* in, const float* bias, const T* residual,
                                        const float* gamma, const float* beta, int width, float eps,
                                        T* out) {
  extern __shared__ float row[];
  __shared__ float scratch[32];
  const size_t base = static_cast<size_t>(blockIdx.x) * width;
  for (int c = threadIdx.x; c < width; c += blockDim.x) {
    float v = dev::to_f(in[base + c]) + dev::to_f(residual[base + c]);
    if (bias != nullptr)
      v += bias[c];
    row[c] = v;
  }
  __syncthreads();
  normalize_row(row, width, gamma, beta, eps, out + base, scratch);
}

// One warp per row for widths up to 32 × kPerLane: the row stays in registers (no shared memory,
// no block barriers); two exact passes for the mean and variance.
template <typename T, int kPerLane>
__global__ void __launch_bounds__(128)
    bias_residual_ln_warp_kernel(const T* __restrict__ in, const float* __restrict__ bias,
                                 const T* __restrict__ residual, const float* __restrict__ gamma,
                                 const float* __restrict__ beta, int rows, int width, float eps,
                                 T* out) {
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
      v[i] = dev::to_f(in[base + c]) + dev::to_f(residual[base + c]) +
             (bias != nullptr ? bias[c] : 0.0f);
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
    if (c < width)
      out[base + c] = dev::from_f<T>((v[i] - mean) * inv * gamma[c] + beta[c]);
  }
}

template <typename T, int kPerLane>
void launch_ln_warp(const T* in, const float* bias, const T* residual, const float* gamma,
                    const float* beta, int rows, int width, float eps, T* out,
                    cudaStream_t stream) {
  bias_residual_ln_warp_kernel<T, kPerLane>
      <<<(rows + 3) / 4, 128, 0, stream>>>(in, bias, residual, gamma, beta, rows, width, eps, out);
}

}  // namespace

template <typename T>
cudaError_t launch_embedding(const EmbeddingTables& tables, const int32_t* ids,
                             const int32_t* positions, const int32_t* types, int tokens, T* out,
                             cudaStream_t stream) {
  if (tokens <= 0)
    return cudaSuccess;
  const size_t smem = static_cast<size_t>(tables.width) * sizeof(float);
  embedding_kernel<T><<<tokens, kThreads, smem, stream>>>(tables, ids, positions, types, out);
  return cudaGetLastError();
}

template <typename T>
cudaError_t launch_bias_residual_layer_norm(const T* in, const float* bias, const T* residual,
                                            const float* gamma, const float* beta, int rows,
                                            int width, float eps, T* out, cudaStream_t stream) {
  if (rows <= 0)
    return cudaSuccess;
  if (width <= 256) {
    launch_ln_warp<T, 8>(in, bias, residual, gamma, beta, rows, width, eps, out, stream);
    return cudaGetLastError();
  }
  if (width <= 1024) {
    launch_ln_warp<T, 32>(in, bias, residual, gamma, beta, rows, width, eps, out, stream);
    return cudaGetLastError();
  }
  const size_t smem = static_cast<size_t>(width) * sizeof(float);
  bias_residual_ln_kernel<T>
      <<<rows, kThreads, smem, stream>>>(in, bias, residual, gamma, beta, width, eps, out);
  return cudaGetLastError();
}

template cudaError_t launch_embedding<float>(const EmbeddingTables&, const int32_t*, const int32_t*,
                                             const int32_t*, int, float*, cudaStream_t);
template cudaError_t launch_embedding<__half>(const EmbeddingTables&, const int32_t*,
                                              const int32_t*, const int32_t*, int, __half*,
                                              cudaStream_t);
template cudaError_t launch_bias_residual_layer_norm<float>(const float*, const float*,
                                                            const float*, const float*,
                                                            const float*, int, int, float, float*,
                                                            cudaStream_t);
template cudaError_t launch_bias_residual_layer_norm<__half>(const __half*, const float*,
                                                             const __half*, const float*,
                                                             const float*, int, int, float, __half*,
                                                             cudaStream_t);

}  // namespace samp::cuda
