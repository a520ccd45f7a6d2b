// The embedding stage and the bias + residual + LayerNorm that ends each attention and FFN block:
// a warp per token row where the width allows (else a block, the row in shared memory), FP32 sums
// in two exact passes for the mean and variance (no E[x²] − E[x]² cancellation).
#include <cstdint>
#include <type_traits>

#include "device-math.cuh"
#include "kernels.h"
#include "launch.h"
#include "vector-io.cuh"

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
  dev::wait_for_previous_kernel();
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

// Rows whose width is a multiple of 8 (up to 32 × 8 × kVec): one warp per token, the three table
// rows read eight floats at a time and the sum kept in registers (a block per token, its row in
// shared memory and two block-wide reductions, took ~17 µs for 4,096 tokens of 768).
template <typename T, int kVec>
__global__ void __launch_bounds__(128)
    embedding_warp_kernel(EmbeddingTables t, const int32_t* __restrict__ ids,
                          const int32_t* __restrict__ positions, const int32_t* __restrict__ types,
                          int tokens, T* out) {
  dev::wait_for_previous_kernel();
  const int token = blockIdx.x * 4 + (threadIdx.x >> 5);
  if (token >= tokens)
    return;
  const int lane = threadIdx.x & 31;
  const int w = t.width;
  const int vectors = w >> 3;
  const float* word = t.word + static_cast<size_t>(ids[token]) * w;
  const float* pos = t.position + static_cast<size_t>(positions[token]) * w;
  const float* type =
      t.token_type == nullptr ? nullptr : t.token_type + static_cast<size_t>(types[token]) * w;
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
      float a[8], b[8];
      dev::load8(word + c, a);
      dev::load8(pos + c, b);
#pragma unroll
      for (int e = 0; e < 8; ++e)
        v[i][e] = a[e] + b[e];
      if (type != nullptr) {
        dev::load8(type + c, a);
#pragma unroll
        for (int e = 0; e < 8; ++e)
          v[i][e] += a[e];
      }
#pragma unroll
      for (int e = 0; e < 8; ++e)
        sum += v[i][e];
    }
  }
  const dev::LaneParams8<kVec, false> gamma(t.gamma, 1.0f, lane, vectors),
      beta(t.beta, 0.0f, lane, vectors);
  dev::normalize_row8<kVec>(v, sum, lane, vectors, w, t.eps, gamma, beta,
                            out + static_cast<size_t>(token) * w, static_cast<int8_t*>(nullptr),
                            0.0f);
}

// The warp kernel for few tokens (kSpreadLayerNormMaxRows): a token a block of 32 · kVec threads,
// one group of 8 columns a thread, the same operations in the same order
// (dev::normalize_spread_row8).
template <typename T, int kVec>
__global__ void __launch_bounds__(32 * kVec)
    embedding_spread_kernel(EmbeddingTables t, const int32_t* __restrict__ ids,
                            const int32_t* __restrict__ positions,
                            const int32_t* __restrict__ types, T* out) {
  const int vi = threadIdx.x;
  const int w = t.width;
  const int vectors = w >> 3;
  const dev::LaneParams8<1, true> gamma(t.gamma, 1.0f, vi, vectors),
      beta(t.beta, 0.0f, vi, vectors);
  dev::wait_for_previous_kernel();
  const int token = blockIdx.x;
  float v[8] = {};
  if (vi < vectors) {
    const int c = vi * 8;
    float a[8], b[8];
    dev::load8(t.word + static_cast<size_t>(ids[token]) * w + c, a);
    dev::load8(t.position + static_cast<size_t>(positions[token]) * w + c, b);
#pragma unroll
    for (int e = 0; e < 8; ++e)
      v[e] = a[e] + b[e];
    if (t.token_type != nullptr) {
      dev::load8(t.token_type + static_cast<size_t>(types[token]) * w + c, a);
#pragma unroll
      for (int e = 0; e < 8; ++e)
        v[e] += a[e];
    }
  }
  dev::normalize_spread_row8<kVec>(v, vectors, w, t.eps, gamma, beta,
                                   out + static_cast<size_t>(token) * w,
                                   static_cast<int8_t*>(nullptr), 0.0f);
}

template <typename T>
__global__ void bias_residual_ln_kernel(const T* in, const float* bias, const T* residual,
                                        const float* gamma, const float* beta, int width, float eps,
                                        T* out) {
  dev::wait_for_previous_kernel();
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
      v[i] = dev::to_f(in[base + c]) +
             (residual != nullptr ? dev::to_f(residual[base + c]) : 0.0f) +
             (bias != nullptr ? bias[c] : 0.0f);
      sum += v[i];
    }
  }
  const dev::RowStats stats = dev::warp_row_stats<kPerLane, 1>(v, sum, lane, width, width, eps);
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int c = lane + 32 * i;
    if (c < width)
      out[base + c] = dev::from_f<T>((v[i] - stats.mean) * stats.inv_std * gamma[c] + beta[c]);
  }
}

// FP16 rows whose width is a multiple of 8 (up to 32 × 8 × kVec): one warp per row, 16-byte loads
// and stores of 8 halves, the row in registers as FP32; gamma, beta and bias read as float4
// (kHeld: into registers before the wait on the previous kernel, dev::LaneParams8).
template <int kVec, bool kHeld>
__global__ void __launch_bounds__(128)
    bias_residual_ln_half8_kernel(const __half* __restrict__ in, const float* __restrict__ bias,
                                  const __half* __restrict__ residual,
                                  const float* __restrict__ gamma, const float* __restrict__ beta,
                                  int rows, int width, float eps, __half* out, float* wide) {
  const int lane = threadIdx.x & 31;
  const int vectors = width >> 3;
  const dev::LaneParams8<kVec, kHeld> b(bias, 0.0f, lane, vectors), g(gamma, 1.0f, lane, vectors),
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
#pragma unroll
    for (int e = 0; e < 8; ++e)
      v[i][e] = 0.0f;
    if (vi < vectors) {
      const int c = vi * 8;
      dev::load8(in + base + c, v[i]);
      if (residual != nullptr) {
        float r[8];
        dev::load8(residual + base + c, r);
#pragma unroll
        for (int e = 0; e < 8; ++e)
          v[i][e] += r[e];
      }
      if (bias != nullptr) {
        float add[8];
        b.get(i, vi, add);
#pragma unroll
        for (int e = 0; e < 8; ++e)
          v[i][e] += add[e];
      }
#pragma unroll
      for (int e = 0; e < 8; ++e)
        sum += v[i][e];
    }
  }
  dev::normalize_row8<kVec>(v, sum, lane, vectors, width, eps, g, bt, out + base,
                            static_cast<int8_t*>(nullptr), 0.0f,
                            wide != nullptr ? wide + base : nullptr);
}

// The half8 kernel for few rows (kSpreadLayerNormMaxRows): a row a block of 32 · kVec threads, one
// group of 8 columns a thread, the same operations in the same order (dev::normalize_spread_row8).
template <int kVec>
__global__ void __launch_bounds__(32 * kVec)
    bias_residual_ln_spread_kernel(const __half* __restrict__ in, const float* __restrict__ bias,
                                   const __half* __restrict__ residual,
                                   const float* __restrict__ gamma, const float* __restrict__ beta,
                                   int width, float eps, __half* out, float* wide) {
  const int vi = threadIdx.x;
  const int vectors = width >> 3;
  const dev::LaneParams8<1, true> b(bias, 0.0f, vi, vectors), g(gamma, 1.0f, vi, vectors),
      bt(beta, 0.0f, vi, vectors);
  dev::wait_for_previous_kernel();
  const size_t base = static_cast<size_t>(blockIdx.x) * width;
  float v[8] = {};
  if (vi < vectors) {
    const int c = vi * 8;
    dev::load8(in + base + c, v);
    if (residual != nullptr) {
      float r[8];
      dev::load8(residual + base + c, r);
#pragma unroll
      for (int e = 0; e < 8; ++e)
        v[e] += r[e];
    }
    if (bias != nullptr) {
      float add[8];
      b.get(0, vi, add);
#pragma unroll
      for (int e = 0; e < 8; ++e)
        v[e] += add[e];
    }
  }
  dev::normalize_spread_row8<kVec>(v, vectors, width, eps, g, bt, out + base,
                                   static_cast<int8_t*>(nullptr), 0.0f,
                                   wide != nullptr ? wide + base : nullptr);
}

template <typename T, int kPerLane>
cudaError_t launch_ln_warp(const T* in, const float* bias, const T* residual, const float* gamma,
                           const float* beta, int rows, int width, float eps, T* out,
                           cudaStream_t stream) {
  return launch_kernel({static_cast<unsigned>((rows + 3) / 4), 128, 0, stream},
                       bias_residual_ln_warp_kernel<T, kPerLane>, in, bias, residual, gamma, beta,
                       rows, width, eps, out);
}

}  // namespace

template <typename T>
cudaError_t launch_embedding(const EmbeddingTables& tables, const int32_t* ids,
                             const int32_t* positions, const int32_t* types, int tokens, T* out,
                             cudaStream_t stream) {
  if (tokens <= 0)
    return cudaSuccess;
  const int w = tables.width;
  if (w % 8 == 0 && w <= 32 * 8 * 4 && aligned16(tables.word) && aligned16(tables.position) &&
      (tables.token_type == nullptr || aligned16(tables.token_type)) && aligned16(tables.gamma) &&
      aligned16(tables.beta) && aligned16(out)) {
    cudaError_t err = cudaSuccess;
    dispatch_vectors_per_lane<4>((w / 8 + 31) / 32, [&](auto vectors) {
      constexpr int kVec = decltype(vectors)::value;
      if (tokens <= kSpreadLayerNormMaxRows) {
        err = launch_row_spread(tokens, 32 * kVec, stream, embedding_spread_kernel<T, kVec>, tables,
                                ids, positions, types, out);
        return;
      }
      err =
          launch_kernel({static_cast<unsigned>((tokens + 3) / 4), 128, 0, stream},
                        embedding_warp_kernel<T, kVec>, tables, ids, positions, types, tokens, out);
    });
    return err;
  }
  const size_t smem = static_cast<size_t>(w) * sizeof(float);
  return launch_kernel({static_cast<unsigned>(tokens), kThreads, smem, stream}, embedding_kernel<T>,
                       tables, ids, positions, types, out);
}

template <typename T>
cudaError_t launch_bias_residual_layer_norm(const T* in, const float* bias, const T* residual,
                                            const float* gamma, const float* beta, int rows,
                                            int width, float eps, T* out, cudaStream_t stream,
                                            float* wide) {
  if (rows <= 0)
    return cudaSuccess;
  if constexpr (std::is_same_v<T, __half>) {
    if (width % 8 == 0 && width <= 32 * 8 * 4 && aligned16(in) && aligned16(out) &&
        (residual == nullptr || aligned16(residual)) && (bias == nullptr || aligned16(bias)) &&
        aligned16(gamma) && aligned16(beta) && (wide == nullptr || aligned16(wide))) {
      cudaError_t err = cudaSuccess;
      dispatch_vectors_per_lane<4>((width / 8 + 31) / 32, [&](auto vectors) {
        constexpr int kVec = decltype(vectors)::value;
        if (rows <= kSpreadLayerNormMaxRows) {
          err = launch_row_spread(rows, 32 * kVec, stream, bias_residual_ln_spread_kernel<kVec>, in,
                                  bias, residual, gamma, beta, width, eps, out, wide);
          return;
        }
        dispatch_held_params(rows, [&](auto held) {
          err = launch_kernel({static_cast<unsigned>((rows + 3) / 4), 128, 0, stream},
                              bias_residual_ln_half8_kernel<kVec, decltype(held)::value>, in, bias,
                              residual, gamma, beta, rows, width, eps, out, wide);
        });
      });
      return err;
    }
  }
  cudaError_t err;
  if (width <= 256) {
    err = launch_ln_warp<T, 8>(in, bias, residual, gamma, beta, rows, width, eps, out, stream);
  } else if (width <= 1024) {
    err = launch_ln_warp<T, 32>(in, bias, residual, gamma, beta, rows, width, eps, out, stream);
  } else {
    const size_t smem = static_cast<size_t>(width) * sizeof(float);
    err =
        launch_kernel({static_cast<unsigned>(rows), kThreads, smem, stream},
                      bias_residual_ln_kernel<T>, in, bias, residual, gamma, beta, width, eps, out);
  }
  // These forms write T only: the FP32 copy by a pass of its own.
  if (err == cudaSuccess && wide != nullptr)
    err = launch_to_float<T>(out, width, rows, width, wide, stream);
  return err;
}

template cudaError_t launch_embedding<float>(const EmbeddingTables&, const int32_t*, const int32_t*,
                                             const int32_t*, int, float*, cudaStream_t);
template cudaError_t launch_embedding<__half>(const EmbeddingTables&, const int32_t*,
                                              const int32_t*, const int32_t*, int, __half*,
                                              cudaStream_t);
template cudaError_t launch_bias_residual_layer_norm<float>(const float*, const float*,
                                                            const float*, const float*,
                                                            const float*, int, int, float, float*,
                                                            cudaStream_t, float*);
template cudaError_t launch_bias_residual_layer_norm<__half>(const __half*, const float*,
                                                             const __half*, const float*,
                                                             const float*, int, int, float, __half*,
                                                             cudaStream_t, float*);

}  // namespace samp::cuda
