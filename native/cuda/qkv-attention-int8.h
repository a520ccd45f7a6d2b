// The QKV Linear and the INT8 attention of a Fully-Quant layer as one kernel, for rows of at most
// 128 tokens (qkv-attention-int8.cu says how and why).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "quant-kernels.h"

namespace samp::cuda {

/// Whether launch_qkv_attention_int8 takes these arguments: rows of at most 128 tokens, head_dim
/// 64, a hidden size of whole 128-byte tiles, the codes written where the attention reads them
/// (qkv.q = a.qkv8, both with stride 3 · hidden) and 16-byte aligned operands.
bool qkv_attention_int8_supported(const AttentionInt8Args& a, const int8_t* x8, const int8_t* w,
                                  const Dequant& dq, const QuantOut<int8_t>& qkv);

/// Dynamic shared memory of its blocks at this hidden size (the head's weights and 16 tokens).
std::size_t qkv_attention_int8_shared_bytes(int hidden);

/// Allows its kernels that much shared memory (not a stream operation).
cudaError_t allow_qkv_attention_int8_shared_bytes(int hidden);

/// The int8 QKV Linear of x8 [tokens, hidden] with w [3 · hidden, hidden] (dequantized by dq,
/// requantized into qkv as launch_gemm_fused's epilogue does), then launch_attention_int8's
/// split-keys attention into ctx and / or ctx8: the same bits as those two launches.
template <typename T>
cudaError_t launch_qkv_attention_int8(const int8_t* x8, const int8_t* w, const Dequant& dq,
                                      const QuantOut<int8_t>& qkv, const AttentionInt8Args& a,
                                      T* ctx, int8_t* ctx8, cudaStream_t stream);

}  // namespace samp::cuda
