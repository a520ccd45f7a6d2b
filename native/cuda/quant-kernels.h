// The kernels around the INT8 and FP8 GEMMs of a mixed-precision layer (issue 6). A quantized
// GEMM's input arrives already quantized from the kernel that produced it (the quantize is fused
// into the producer's epilogue: the LayerNorm, the bias + activation, the INT8 attention), and its
// product is dequantized by the kernel that consumes it (bias + activation, bias + residual +
// LayerNorm). Codes: int8 = clamp(rne(v / scale), ±127), as the CPU backend; FP8 E4M3 saturated.
#pragma once

#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels.h"

namespace samp::cuda {

/// How a kernel reads its input element in[r, c]: in · in_scale · (w_scales ? w_scales[c] : 1)
/// + (bias ? bias[c] : 0). An int32 GEMM product dequantizes with its input's scale and the
/// weight's per-channel scales; a float input passes in_scale 1 and no w_scales.
struct Dequant {
  float in_scale = 1.0f;
  const float* w_scales = nullptr;
  const float* bias = nullptr;
};

/// Where a kernel writes a quantized copy of what it computes: q[r, c] = code(v · inv), with
/// one inverse scale or one per column (`inv_scales`: the query | key | value parts of QKV).
/// A null `q` writes nothing.
template <typename Q>
struct QuantOut {
  Q* q = nullptr;
  int ld = 0;
  float inv_scale = 1.0f;
  const float* inv_scales = nullptr;
};

/// v = act(dequant(in[r, c])) over a [rows, cols] block: out[r, c] = v (when out is set) and the
/// quantized copy. `out` may alias `in` when both are T with the same stride.
template <typename In, typename T, typename Q>
cudaError_t launch_dequant_activation(const In* in, int ld_in, int rows, int cols,
                                      const Dequant& dq, Activation act, T* out, int ld_out,
                                      const QuantOut<Q>& q, cudaStream_t stream);

/// The input of launch_layer_norm_quantize as the sum of `count` parts `stride` elements apart: the
/// partial products of GemmRunner::run_parts, added up where they are read (int32 exactly, FP32 in
/// part order) instead of by a reduction kernel.
struct InputParts {
  int count = 1;  // 1 … kMaxInputParts
  std::size_t stride = 0;
};
inline constexpr int kMaxInputParts = 4;
/// The most rows launch_layer_norm_quantize takes in more than one part.
inline constexpr int kMaxPartsRows = 512;

/// out[r] = LayerNorm(dequant(in[r]) + residual[r]) · gamma + beta over rows of `width` (≤ 1024),
/// and the quantized copy of out[r] (and where `wide` is set, out[r] as FP32 there too). `out`
/// must not alias `residual`. With more than one input part (at most kMaxPartsRows rows), width
/// must be a multiple of 8 and `in` 16-byte aligned (else cudaErrorInvalidValue).
template <typename In, typename T, typename Q>
cudaError_t launch_layer_norm_quantize(const In* in, const Dequant& dq, const T* residual,
                                       const float* gamma, const float* beta, int rows, int width,
                                       float eps, T* out, const QuantOut<Q>& q, cudaStream_t stream,
                                       InputParts parts = {}, float* wide = nullptr);

/// The widest row launch_layer_norm_quantize takes.
inline constexpr int kMaxQuantizedLayerNormWidth = 1024;

/// The INT8 attention of a Fully-Quant layer, the CPU backend's arithmetic:
///   scores = (Q_q · K_qᵀ) · score_scale                 exact int32 product
///   P_q    = clamp(rne(softmax(scores) / s_p), 0, 127)   int8 probabilities
///   ctx    = (P_q · V_q) · context_scale                 exact int32 product, then T or int8
struct AttentionInt8Args {
  const int8_t* qkv8 = nullptr;  // [tokens, ld_qkv]: query | key | value, heads contiguous
  int ld_qkv = 0;
  const RowSpan* rows = nullptr;
  int num_rows = 0;
  int max_queries = 0;  // bounds every row's queries (and keys)
  int heads = 0;
  int head_dim = 0;              // a multiple of 4
  float score_scale = 1.0f;      // s_q · s_k / √d
  float probs_inv_scale = 127;   // 1 / s_p
  float context_scale = 1.0f;    // s_p · s_v
  int ld_ctx = 0;
  float ctx8_inv_scale = 1.0f;   // 1 / the attention-output GEMM's input scale
  bool generic_kernel = false;   // the dp4a kernel whatever the shape (SAMP_CUDA_INT8_ATTENTION)
  bool split_keys = true;        // the split-keys form where it applies (SAMP_CUDA_ATTENTION_SPLIT)
};

/// Runs the INT8 attention; writes ctx (T, may be null) and / or ctx8 (int8, may be null). Takes
/// the tensor-core kernel where attention_int8_mma_supported (head_dim 64), else the dp4a one.
template <typename T>
cudaError_t launch_attention_int8(const AttentionInt8Args& a, T* ctx, int8_t* ctx8,
                                  cudaStream_t stream);

/// Dynamic shared memory launch_attention_int8 needs for rows of up to `max_keys` keys.
std::size_t attention_int8_shared_bytes(int max_keys, int head_dim);

/// Allows launch_attention_int8 `bytes` of dynamic shared memory (call before any launch that
/// needs more than 48 KiB; not a stream operation, so outside graph captures too).
cudaError_t allow_attention_int8_shared_bytes(std::size_t bytes);

/// Whether the tensor-core INT8 attention takes these arguments: head_dim 64, 16-byte aligned
/// query / key / value rows (ld_qkv % 16 == 0), ld_ctx % 4 == 0 and outputs aligned for four
/// adjacent values. `generic_kernel` is not looked at.
template <typename T>
bool attention_int8_mma_supported(const AttentionInt8Args& a, const T* ctx, const int8_t* ctx8);

/// The INT8 attention on INT8 tensor cores (mma.sync m16n8k32; same contract and arithmetic as
/// launch_attention_int8, which dispatches to it); cudaErrorInvalidValue where not supported.
template <typename T>
cudaError_t launch_attention_int8_mma(const AttentionInt8Args& a, T* ctx, int8_t* ctx8,
                                      cudaStream_t stream);

/// Warps per block launch_attention_int8_mma takes for this grid (4: 64 queries per block, 8: 128).
int attention_int8_mma_warps(int num_rows, int max_queries, int heads);

/// Whether launch_attention_int8_mma takes its split-keys form (4 warps sharing 16 queries, the
/// keys split over them) for this grid: attention_grid_is_small, rows of at most 512 keys.
bool attention_int8_splits_keys(int num_rows, int max_queries, int heads);

/// Dynamic shared memory launch_attention_int8_mma needs for rows of up to `max_keys` keys.
std::size_t attention_int8_mma_shared_bytes(int max_keys);

/// Allows launch_attention_int8_mma `bytes` of dynamic shared memory (as
/// allow_attention_int8_shared_bytes, which calls it).
cudaError_t allow_attention_int8_mma_shared_bytes(std::size_t bytes);

}  // namespace samp::cuda
