// Fused multi-head attention over packed tokens, the generic kernel (FP32 and FP16 storage, any
// head_dim ≤ 128): one warp per query, keys streamed through shared memory in tiles of 32 with
// an online softmax (running max and sum), so scores never reach device memory and padding
// costs nothing (each row attends to its own real keys only). Plus the observation kernel that
// writes scores and probabilities in the padded layout for calibration.
#include <cfloat>

#include "device-math.cuh"
#include "kernels.h"
#include "launch.h"

namespace samp::cuda {
namespace {

constexpr int kWarps = 4;       // queries per block
constexpr int kTile = 32;       // keys per shared-memory tile (one per lane)
constexpr int kMaxPerLane = 4;  // head_dim ≤ 128

template <typename T>
__global__ void __launch_bounds__(kWarps * 32)
    attention_kernel(const T* __restrict__ qkv, int ld_qkv, T* __restrict__ ctx, int ld_ctx,
                     const RowSpan* __restrict__ rows, int heads, int d, float scale) {
  dev::wait_for_previous_kernel();
  extern __shared__ float smem[];
  const int r = blockIdx.x / heads;
  const int h = blockIdx.x % heads;
  const RowSpan span = rows[r];
  const int q0 = blockIdx.y * kWarps;
  if (q0 >= span.queries)
    return;  // the same for the whole block
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int qi = q0 + warp;
  const bool active = qi < span.queries;
  const int hidden = heads * d;
  const int ks_ld = d + 1;  // odd stride: lane j reading key j hits distinct banks
  float* ks = smem;
  float* vs = ks + kTile * ks_ld;
  float* qs = vs + kTile * d + warp * d;

  if (active) {
    const T* q = qkv + static_cast<size_t>(span.start + qi) * ld_qkv + h * d;
    for (int c = lane; c < d; c += 32)
      qs[c] = dev::to_f(q[c]) * scale;
  }
  float acc[kMaxPerLane];
#pragma unroll
  for (int i = 0; i < kMaxPerLane; ++i)
    acc[i] = 0.0f;
  float m = -INFINITY;
  float l = 0.0f;

  for (int k0 = 0; k0 < span.keys; k0 += kTile) {
    __syncthreads();  // the previous tile is consumed (and qs is written, on the first pass)
    for (int i = threadIdx.x; i < kTile * d; i += blockDim.x) {
      const int j = i / d;
      const int c = i - j * d;
      const int key = k0 + j;
      float kv = 0.0f;
      float vv = 0.0f;
      if (key < span.keys) {
        const T* base = qkv + static_cast<size_t>(span.start + key) * ld_qkv + h * d + c;
        kv = dev::to_f(base[hidden]);
        vv = dev::to_f(base[2 * hidden]);
      }
      ks[j * ks_ld + c] = kv;
      vs[j * d + c] = vv;
    }
    __syncthreads();
    if (!active)
      continue;
    const int key = k0 + lane;
    const bool real = key < span.keys;
    float s = -INFINITY;
    if (real) {
      s = 0.0f;
      const float* k = ks + lane * ks_ld;
      for (int c = 0; c < d; ++c)
        s = fmaf(qs[c], k[c], s);
    }
    const float m_new = fmaxf(m, dev::warp_max(s));  // finite: the tile has a real key
    const float p = real ? expf(s - m_new) : 0.0f;
    const float correction = expf(m - m_new);  // 0 on the first tile (m = −inf)
    l = l * correction + dev::warp_sum(p);
#pragma unroll
    for (int i = 0; i < kMaxPerLane; ++i)
      acc[i] *= correction;
    const int valid = min(kTile, span.keys - k0);
    for (int j = 0; j < valid; ++j) {
      const float pj = __shfl_sync(0xffffffffu, p, j);
      const float* v = vs + j * d;
#pragma unroll
      for (int i = 0; i < kMaxPerLane; ++i) {
        const int c = lane + 32 * i;
        if (c < d)
          acc[i] = fmaf(pj, v[c], acc[i]);
      }
    }
    m = m_new;
  }
  if (!active)
    return;
  const float inv = 1.0f / l;
  T* out = ctx + static_cast<size_t>(span.start + qi) * ld_ctx + h * d;
#pragma unroll
  for (int i = 0; i < kMaxPerLane; ++i) {
    const int c = lane + 32 * i;
    if (c < d)
      out[c] = dev::from_f<T>(acc[i] * inv);
  }
}

template <typename T>
__device__ float score(const T* q, const T* k, int d, float scale) {
  float s = 0.0f;
  for (int c = 0; c < d; ++c)
    s = fmaf(dev::to_f(q[c]) * scale, dev::to_f(k[c]), s);
  return s;
}

// One warp per (row, head, query): three passes over the keys (max, sum, write), straight from
// device memory. Only runs when a caller observes the attention tensors.
template <typename T>
__global__ void attention_observe_kernel(const T* qkv, int ld_qkv, const RowSpan* rows, int heads,
                                         int d, float scale, int seq, float* scores, float* probs) {
  const int r = blockIdx.x / heads;
  const int h = blockIdx.x % heads;
  const int qi = blockIdx.y;
  const RowSpan span = rows[r];
  if (qi >= span.queries)
    return;
  const int lane = threadIdx.x;
  const int hidden = heads * d;
  const T* q = qkv + static_cast<size_t>(span.start + qi) * ld_qkv + h * d;
  const auto key = [&](int j) {
    return qkv + static_cast<size_t>(span.start + j) * ld_qkv + hidden + h * d;
  };
  float m = -INFINITY;
  for (int j = lane; j < span.keys; j += 32)
    m = fmaxf(m, score(q, key(j), d, scale));
  m = dev::warp_max(m);
  float sum = 0.0f;
  for (int j = lane; j < span.keys; j += 32)
    sum += expf(score(q, key(j), d, scale) - m);
  sum = dev::warp_sum(sum);
  const size_t base = ((static_cast<size_t>(r) * heads + h) * seq + qi) * seq;
  for (int j = lane; j < seq; j += 32) {
    const bool real = j < span.keys;
    const float s = real ? score(q, key(j), d, scale) : -FLT_MAX;
    if (scores != nullptr)
      scores[base + j] = s;
    if (probs != nullptr)
      probs[base + j] = real ? expf(s - m) / sum : 0.0f;
  }
}

}  // namespace

template <typename T>
cudaError_t launch_attention(const T* qkv, int ld_qkv, T* context, int ld_ctx, const RowSpan* rows,
                             int num_rows, int max_queries, int heads, int head_dim, float scale,
                             cudaStream_t stream) {
  if (num_rows <= 0 || max_queries <= 0)
    return cudaSuccess;
  if (head_dim > 32 * kMaxPerLane)
    return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(num_rows * heads),
                  static_cast<unsigned>((max_queries + kWarps - 1) / kWarps));
  const size_t smem =
      static_cast<size_t>(kTile * (head_dim + 1) + kTile * head_dim + kWarps * head_dim) *
      sizeof(float);
  return launch_kernel({grid, kWarps * 32, smem, stream}, attention_kernel<T>, qkv, ld_qkv, context,
                       ld_ctx, rows, heads, head_dim, scale);
}

template <typename T>
cudaError_t launch_attention_observe(const T* qkv, int ld_qkv, const RowSpan* rows, int num_rows,
                                     int max_queries, int heads, int head_dim, float scale, int seq,
                                     float* scores, float* probs, cudaStream_t stream) {
  if (num_rows <= 0 || max_queries <= 0)
    return cudaSuccess;
  const dim3 grid(static_cast<unsigned>(num_rows * heads), static_cast<unsigned>(max_queries));
  attention_observe_kernel<T>
      <<<grid, 32, 0, stream>>>(qkv, ld_qkv, rows, heads, head_dim, scale, seq, scores, probs);
  return cudaGetLastError();
}

template cudaError_t launch_attention<float>(const float*, int, float*, int, const RowSpan*, int,
                                             int, int, int, float, cudaStream_t);
template cudaError_t launch_attention<__half>(const __half*, int, __half*, int, const RowSpan*, int,
                                              int, int, int, float, cudaStream_t);
template cudaError_t launch_attention_observe<float>(const float*, int, const RowSpan*, int, int,
                                                     int, int, float, int, float*, float*,
                                                     cudaStream_t);
template cudaError_t launch_attention_observe<__half>(const __half*, int, const RowSpan*, int, int,
                                                      int, int, float, int, float*, float*,
                                                      cudaStream_t);

}  // namespace samp::cuda
