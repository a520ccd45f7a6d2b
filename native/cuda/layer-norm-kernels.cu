// The embedding stage and the bias + residual + LayerNorm that ends each attention and FFN block:
// one block per token row, the row kept in shared memory as FP32 so the mean and variance are
// two exact passes (no E[x²] − E[x]² cancellation).
#include <cstdint>
#include <type_traits>

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
    float v = dev::to_f(in[base + c]);
    if (residual != nullptr)
      v += dev::to_f(residual[base + c]);
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
      v[i] = dev::to_f(in[base + c]) +
             (residual != nullptr ? dev::to_f(residual[base + c]) : 0.0f) +
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

// FP16 rows whose width is a multiple of 8 (up to 32 × 8 × kVec): one warp per row, 16-byte loads
// and stores of 8 halves, the row in registers as FP32; gamma, beta and bias read as float4.
template <int kVec>
__global__ void __launch_bounds__(128)
    bias_residual_ln_half8_kernel(const __half* __restrict__ in, const float* __restrict__ bias,
                                  const __half* __restrict__ residual,
                                  const float* __restrict__ gamma, const float* __restrict__ beta,
                                  int rows, int width, float eps, __half* out) {
  const int row = blockIdx.x * 4 + (threadIdx.x >> 5);
  if (row >= rows)
    return;
  const int lane = threadIdx.x & 31;
  const int vectors = width >> 3;
  const size_t base = static_cast<size_t>(row) * width;
  float v[kVec][8];
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < kVec; ++i) {
    const int vi = lane + 32 * i;
#pragma unroll
    for (int e = 0; e < 8; ++e)
      v[i][e] = 0.0f;
    if (vi < vectors) {
      const int c = vi * 8;
      const uint4 a = *reinterpret_cast<const uint4*>(in + base + c);
      const __half2* ah = reinterpret_cast<const __half2*>(&a);
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float2 f = __half22float2(ah[e]);
        v[i][2 * e] = f.x;
        v[i][2 * e + 1] = f.y;
      }
      if (residual != nullptr) {
        const uint4 b = *reinterpret_cast<const uint4*>(residual + base + c);
        const __half2* bh = reinterpret_cast<const __half2*>(&b);
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const float2 f = __half22float2(bh[e]);
          v[i][2 * e] += f.x;
          v[i][2 * e + 1] += f.y;
        }
      }
      if (bias != nullptr) {
        const float4 b0 = *reinterpret_cast<const float4*>(bias + c);
        const float4 b1 = *reinterpret_cast<const float4*>(bias + c + 4);
        v[i][0] += b0.x;
        v[i][1] += b0.y;
        v[i][2] += b0.z;
        v[i][3] += b0.w;
        v[i][4] += b1.x;
        v[i][5] += b1.y;
        v[i][6] += b1.z;
        v[i][7] += b1.w;
      }
#pragma unroll
      for (int e = 0; e < 8; ++e)
        sum += v[i][e];
    }
  }
  const float mean = dev::warp_sum(sum) / static_cast<float>(width);
  float var = 0.0f;
#pragma unroll
  for (int i = 0; i < kVec; ++i) {
    if (lane + 32 * i < vectors) {
#pragma unroll
      for (int e = 0; e < 8; ++e)
        var += (v[i][e] - mean) * (v[i][e] - mean);
    }
  }
  const float inv = rsqrtf(dev::warp_sum(var) / static_cast<float>(width) + eps);
#pragma unroll
  for (int i = 0; i < kVec; ++i) {
    const int vi = lane + 32 * i;
    if (vi < vectors) {
      const int c = vi * 8;
      const float4 g0 = *reinterpret_cast<const float4*>(gamma + c);
      const float4 g1 = *reinterpret_cast<const float4*>(gamma + c + 4);
      const float4 e0 = *reinterpret_cast<const float4*>(beta + c);
      const float4 e1 = *reinterpret_cast<const float4*>(beta + c + 4);
      const float g[8] = {g0.x, g0.y, g0.z, g0.w, g1.x, g1.y, g1.z, g1.w};
      const float b[8] = {e0.x, e0.y, e0.z, e0.w, e1.x, e1.y, e1.z, e1.w};
      uint4 o;
      __half2* oh = reinterpret_cast<__half2*>(&o);
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        oh[e] = __floats2half2_rn((v[i][2 * e] - mean) * inv * g[2 * e] + b[2 * e],
                                  (v[i][2 * e + 1] - mean) * inv * g[2 * e + 1] + b[2 * e + 1]);
      }
      *reinterpret_cast<uint4*>(out + base + c) = o;
    }
  }
}

template <int kVec>
void launch_ln_half8(const __half* in, const float* bias, const __half* residual,
                     const float* gamma, const float* beta, int rows, int width, float eps,
                     __half* out, cudaStream_t stream) {
  bias_residual_ln_half8_kernel<kVec>
      <<<(rows + 3) / 4, 128, 0, stream>>>(in, bias, residual, gamma, beta, rows, width, eps, out);
}

/// Whether every pointer the 16-byte kernel reads or writes is 16-byte aligned.
bool aligned16(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
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
  if constexpr (std::is_same_v<T, __half>) {
    if (width % 8 == 0 && width <= 32 * 8 * 4 && aligned16(in) && aligned16(out) &&
        (residual == nullptr || aligned16(residual)) && (bias == nullptr || aligned16(bias)) &&
        aligned16(gamma) && aligned16(beta)) {
      const int vec = (width / 8 + 31) / 32;
      if (vec == 1) {
        launch_ln_half8<1>(in, bias, residual, gamma, beta, rows, width, eps, out, stream);
      } else if (vec == 2) {
        launch_ln_half8<2>(in, bias, residual, gamma, beta, rows, width, eps, out, stream);
      } else if (vec == 3) {
        launch_ln_half8<3>(in, bias, residual, gamma, beta, rows, width, eps, out, stream);
      } else {
        launch_ln_half8<4>(in, bias, residual, gamma, beta, rows, width, eps, out, stream);
      }
      return cudaGetLastError();
    }
  }
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
