// The encoder's fused kernels (besides cuBLASLt's GEMMs), for float and __half activations.
// Statistics, softmax and accumulations run in FP32 whatever the storage type. Every launcher
// returns the launch error (cudaGetLastError) so the caller checks it like any CUDA call.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace samp::cuda {

/// The feed-forward activation (same numbering as the CPU backend's).
enum class Activation : int { kNone = 0, kGelu = 1, kGeluTanh = 2, kRelu = 3 };

/// One batch row in the packed token layout: tokens [start, start + queries) are computed; the
/// first `keys` of them are real (attention reads only those).
struct RowSpan {
  int start;
  int queries;
  int keys;
};

/// The embedding tables of a session (FP32 whatever the session's precision).
struct EmbeddingTables {
  const float* word = nullptr;        // [vocab, width]
  const float* position = nullptr;    // [max_positions, width]
  const float* token_type = nullptr;  // [types, width], or null (DistilBERT)
  const float* gamma = nullptr;
  const float* beta = nullptr;
  int width = 0;
  float eps = 1e-12f;
};

/// out[t] = LayerNorm(word[ids[t]] + position[positions[t]] + token_type[types[t]]): the whole
/// embedding stage in one kernel, a warp (or a block) per token.
template <typename T>
cudaError_t launch_embedding(const EmbeddingTables& tables, const int32_t* ids,
                             const int32_t* positions, const int32_t* types, int tokens, T* out,
                             cudaStream_t stream);

/// Raises worst_bits[0] (device memory, the bits of a non-negative float) to the largest
/// |dev::gelu(x) − x·Φ(x)| / |x| over every step-th of the 2³² float patterns (step 1: all; finite,
/// non-zero x; Φ in double precision; less 2^-150, the rounding of a subnormal result), and
/// worst_bits[1] to the largest such error over |x·Φ(x)| for |x| ≤ 5; dev::gelu_for_half if
/// for_half. The test of the epilogues' GELU.
cudaError_t launch_gelu_worst_error(unsigned step, bool for_half, unsigned* worst_bits,
                                    cudaStream_t stream);

/// x[r, c] = act(x[r, c] + bias[c]) in place over a [rows, cols] matrix.
template <typename T>
cudaError_t launch_bias_activation(T* x, int rows, int cols, const float* bias, Activation act,
                                   cudaStream_t stream);

/// At most this many rows the LayerNorm kernels (launch_embedding's and
/// launch_bias_residual_layer_norm's eight-wide forms, launch_layer_norm_quantize's vec8 one)
/// spread a row over a block instead of a warp, so that at batch 1 their loads and stores go
/// through as many SMs as there are rows rather than a quarter of them. Same operations in the same
/// order: the results do not depend on the form.
inline constexpr int kSpreadLayerNormMaxRows = 256;

/// out[r] = LayerNorm(in[r] + bias + residual[r]) * gamma + beta over rows of `width` (bias and
/// residual may be null: the GEMM's epilogue added them). `out` may alias `in` but not `residual`.
/// Where `wide` is set, out as FP32 there too (the encoder's last LayerNorm writes its output).
template <typename T>
cudaError_t launch_bias_residual_layer_norm(const T* in, const float* bias, const T* residual,
                                            const float* gamma, const float* beta, int rows,
                                            int width, float eps, T* out, cudaStream_t stream,
                                            float* wide = nullptr);

/// Multi-head self-attention over packed tokens: qkv is [tokens, ld_qkv] with query | key |
/// value side by side (heads contiguous in each); context [tokens, ld_ctx]. Each query of a row
/// attends to the row's real keys only; online softmax in FP32. `max_queries` bounds every
/// row's `queries`. head_dim ≤ 256.
template <typename T>
cudaError_t launch_attention(const T* qkv, int ld_qkv, T* context, int ld_ctx, const RowSpan* rows,
                             int num_rows, int max_queries, int heads, int head_dim, float scale,
                             cudaStream_t stream);

/// Whether the tensor-core attention kernel (FP16, head_dim 64) takes these strides.
bool attention_wmma_supported(int head_dim, int ld_qkv, int ld_ctx);

/// Tensor-core flash attention for FP16 sessions with head_dim 64 (same contract as
/// launch_attention).
cudaError_t launch_attention_wmma(const __half* qkv, int ld_qkv, __half* context, int ld_ctx,
                                  const RowSpan* rows, int num_rows, int max_queries, int heads,
                                  float scale, cudaStream_t stream);

/// Whether the tensor-core attention kernels' usual grid (a block per row, head and 64 queries) has
/// fewer blocks than about one an SM (H100: 132): then they split each row's keys over a block's
/// warps instead (attention_mma_splits_keys, attention_int8_splits_keys).
inline bool attention_grid_is_small(int num_rows, int max_queries, int heads) {
  return num_rows * heads * ((max_queries + 63) / 64) < 128;
}

/// Register-resident tensor-core flash attention (mma.sync, cp.async double buffering) for FP16
/// sessions with head_dim 64, the default for them (same contract as launch_attention). Where
/// attention_mma_splits_keys says so and `split_keys` allows, the split-keys form: the four warps
/// of a block share 16 queries and split the keys, so that a batch of one has 4 × more blocks.
/// Otherwise rows of at most 128 tokens, where `whole_rows` allows, take the whole-row form: the
/// row's keys and values staged at once and a one-pass softmax.
cudaError_t launch_attention_mma(const __half* qkv, int ld_qkv, __half* context, int ld_ctx,
                                 const RowSpan* rows, int num_rows, int max_queries, int heads,
                                 float scale, cudaStream_t stream, bool split_keys = true,
                                 bool whole_rows = true);

/// Whether launch_attention_mma takes the split-keys form for this shape: attention_grid_is_small,
/// rows of at most 512 tokens.
bool attention_mma_splits_keys(int num_rows, int max_queries, int heads);

/// The attention scores (Q·Kᵀ·scale, lowest float at masked keys) and probabilities (0 at
/// masked keys) of every computed query, in the padded layout [rows, heads, seq, seq] (positions
/// of queries that are not computed are left as they are). Either output may be null.
template <typename T>
cudaError_t launch_attention_observe(const T* qkv, int ld_qkv, const RowSpan* rows, int num_rows,
                                     int max_queries, int heads, int head_dim, float scale, int seq,
                                     float* scores, float* probs, cudaStream_t stream);

/// dst[r, c] = float(src[r * ld + c]) for a [rows, cols] block.
template <typename T>
cudaError_t launch_to_float(const T* src, int ld, int rows, int cols, float* dst,
                            cudaStream_t stream);

/// dst[i] = T(src[i]).
template <typename T>
cudaError_t launch_from_float(const float* src, std::size_t n, T* dst, cudaStream_t stream);

}  // namespace samp::cuda
