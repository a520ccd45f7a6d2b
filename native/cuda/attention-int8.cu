// The INT8 attention of a Fully-Quant layer (quant-kernels.h has the arithmetic). One block per
// (row, head, 32 queries): the row's int8 keys K [keys, d] and values, transposed to Vᵀ [d, keys],
// sit in shared memory (rows padded by one word so the warps read them without bank conflicts);
// each warp takes one query at a time: Q·Kᵀ with dp4a (lane j: key j), a warp softmax into int8
// probabilities, then P·V with dp4a over four keys at once (lane c: dimension c). Both products are
// exact int32, as on the CPU. launch_attention_int8 takes the tensor-core kernel instead
// (attention-int8-mma.cu) for head_dim 64 unless the session asked for this one
// (SAMP_CUDA_INT8_ATTENTION=generic).
#include <algorithm>
#include <cfloat>

#include "device-math.cuh"
#include "launch.h"
#include "quant-kernels.h"

namespace samp::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kQueriesPerBlock = 32;

__host__ __device__ inline int round4(int n) {
  return (n + 3) / 4 * 4;
}

/// The block's shared memory, carved from one dynamic allocation.
struct Layout {
  int k_stride;  // words per K row: d/4 + 1
  int v_stride;  // words per Vᵀ row: keys/4 + 1
  size_t k_words, v_words, score_floats, code_bytes, q_words;
  __host__ __device__ Layout(int keys, int d) {
    const int keys4 = round4(keys);
    k_stride = d / 4 + 1;
    v_stride = keys4 / 4 + 1;
    k_words = static_cast<size_t>(keys) * k_stride;
    v_words = static_cast<size_t>(d) * v_stride;
    score_floats = static_cast<size_t>(kWarps) * keys4;
    code_bytes = static_cast<size_t>(kWarps) * keys4;
    q_words = static_cast<size_t>(kWarps) * (d / 4);
  }
  __host__ __device__ size_t bytes() const {
    return (k_words + v_words + score_floats + q_words) * 4 + code_bytes;
  }
};

template <typename T>
__global__ void __launch_bounds__(kWarps * 32)
    attention_int8_kernel(AttentionInt8Args a, T* ctx, int8_t* ctx8) {
  dev::wait_for_previous_kernel();
  const int row = blockIdx.x / a.heads;
  const int head = blockIdx.x % a.heads;
  const RowSpan span = a.rows[row];
  const int q0 = blockIdx.y * kQueriesPerBlock;
  if (q0 >= span.queries)
    return;
  const int nk = span.keys;
  const int d = a.head_dim;
  const int dw = d / 4;
  const int nk4 = round4(nk);
  const Layout lay(a.max_queries, d);  // sized for the longest row, as at launch
  extern __shared__ int32_t smem[];
  int32_t* ks = smem;
  int32_t* vt = ks + lay.k_words;
  float* scores_all = reinterpret_cast<float*>(vt + lay.v_words);
  int32_t* q_all = reinterpret_cast<int32_t*>(scores_all + lay.score_floats);
  int8_t* codes_all = reinterpret_cast<int8_t*>(q_all + lay.q_words);

  const int hidden = a.heads * d;
  const int8_t* base = a.qkv8 + static_cast<size_t>(span.start) * a.ld_qkv + head * d;
  for (int i = threadIdx.x; i < nk * dw; i += blockDim.x) {
    const int j = i / dw, w = i % dw;
    ks[j * lay.k_stride + w] = *reinterpret_cast<const int32_t*>(
        base + static_cast<size_t>(j) * a.ld_qkv + hidden + 4 * w);
  }
  int8_t* vt_bytes = reinterpret_cast<int8_t*>(vt);
  for (int i = threadIdx.x; i < nk4 * d; i += blockDim.x) {
    const int j = i / d, c = i % d;
    vt_bytes[c * lay.v_stride * 4 + j] =
        j < nk ? base[static_cast<size_t>(j) * a.ld_qkv + 2 * hidden + c] : int8_t{0};
  }
  __syncthreads();

  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  float* scores = scores_all + warp * nk4;
  int32_t* q = q_all + warp * dw;
  int8_t* codes = codes_all + warp * nk4;
  const int q_end = min(q0 + kQueriesPerBlock, span.queries);
  for (int qi = q0 + warp; qi < q_end; qi += kWarps) {
    for (int w = lane; w < dw; w += 32)
      q[w] = *reinterpret_cast<const int32_t*>(base + static_cast<size_t>(qi) * a.ld_qkv + 4 * w);
    __syncwarp();
    float m = -FLT_MAX;
    for (int j = lane; j < nk; j += 32) {
      int acc = 0;
      const int32_t* k = ks + j * lay.k_stride;
      for (int w = 0; w < dw; ++w)
        acc = __dp4a(q[w], k[w], acc);
      const float s = static_cast<float>(acc) * a.score_scale;
      scores[j] = s;
      m = fmaxf(m, s);
    }
    m = dev::warp_max(m);
    float sum = 0.0f;
    for (int j = lane; j < nk; j += 32) {
      const float e = expf(scores[j] - m);
      scores[j] = e;
      sum += e;
    }
    sum = dev::warp_sum(sum);
    const float factor = (1.0f / sum) * a.probs_inv_scale;
    for (int j = lane; j < nk4; j += 32) {
      codes[j] = j < nk ? static_cast<int8_t>(dev::code_bits(scores[j] * factor, 0.0f, 127.0f))
                        : int8_t{0};
    }
    __syncwarp();
    const int32_t* code_words = reinterpret_cast<const int32_t*>(codes);
    const size_t out_row = static_cast<size_t>(span.start + qi) * a.ld_ctx + head * d;
    for (int c = lane; c < d; c += 32) {
      const int32_t* v = vt + c * lay.v_stride;
      int acc = 0;
      for (int w = 0; w < nk4 / 4; ++w)
        acc = __dp4a(code_words[w], v[w], acc);
      const float value = static_cast<float>(acc) * a.context_scale;
      if (ctx != nullptr)
        ctx[out_row + c] = dev::from_f<T>(value);
      if (ctx8 != nullptr)
        ctx8[out_row + c] = dev::to_int8(value * a.ctx8_inv_scale);
    }
    __syncwarp();  // q, scores and codes are rewritten by the warp's next query
  }
}

}  // namespace

std::size_t attention_int8_shared_bytes(int max_keys, int head_dim) {
  // Either kernel may run (the tensor-core one unless the session asked for this one).
  const std::size_t generic = Layout(max_keys, head_dim).bytes();
  return head_dim == 64 ? std::max(generic, attention_int8_mma_shared_bytes(max_keys)) : generic;
}

cudaError_t allow_attention_int8_shared_bytes(std::size_t bytes) {
  for (cudaError_t err :
       {cudaFuncSetAttribute(attention_int8_kernel<float>,
                             cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)),
        cudaFuncSetAttribute(attention_int8_kernel<__half>,
                             cudaFuncAttributeMaxDynamicSharedMemorySize,
                             static_cast<int>(bytes))}) {
    if (err != cudaSuccess)
      return err;
  }
  return allow_attention_int8_mma_shared_bytes(bytes);
}

template <typename T>
cudaError_t launch_attention_int8(const AttentionInt8Args& a, T* ctx, int8_t* ctx8,
                                  cudaStream_t stream) {
  if (a.num_rows <= 0 || a.max_queries <= 0)
    return cudaSuccess;
  if (!a.generic_kernel && attention_int8_mma_supported(a, ctx, ctx8))
    return launch_attention_int8_mma(a, ctx, ctx8, stream);
  if (a.head_dim % 4 != 0)
    return cudaErrorInvalidValue;
  const dim3 grid(a.num_rows * a.heads, (a.max_queries + kQueriesPerBlock - 1) / kQueriesPerBlock);
  const size_t smem = Layout(a.max_queries, a.head_dim).bytes();
  return launch_kernel({grid, kWarps * 32, smem, stream}, attention_int8_kernel<T>, a, ctx, ctx8);
}

template cudaError_t launch_attention_int8<float>(const AttentionInt8Args&, float*, int8_t*,
                                                  cudaStream_t);
template cudaError_t launch_attention_int8<__half>(const AttentionInt8Args&, __half*, int8_t*,
                                                   cudaStream_t);

}  // namespace samp::cuda
