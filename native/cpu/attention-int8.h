// INT8 attention of a Fully-Quant layer: both attention matmuls in int8 with int32 accumulation,
// on samp::int8's GEMM kernels (every ISA, bit-identical results):
//   scores = (Q_q · K_qᵀ) · s_q · s_k / √d          int8 × int8, fp32 out
//   P_q    = softmax_quantize(scores, s_p)          int8 codes in [0, 127], step s_p
//   ctx    = (P_q · V_q) · s_p · s_v                int8 × int8, fp32 out or int8 (requantized
//                                                   with the attention-output GEMM's input scale)
// Q, K, V come from the QKV GEMM already in int8 (its epilogue requantized them with static
// scales) or in fp32, then are quantized here: with the static scale when there is one, else
// dynamically — Q and K per token and head, V per channel over the sequence's keys (the scale must
// sit outside P·V's sum over keys, so not per token). One task per (batch row, head).
#pragma once

#include <cstdint>

#include "common/cpu-features.h"
#include "cpu/attention.h"
#include "cpu/thread-pool.h"

namespace samp::cpu {

struct Int8AttentionArgs {
  const float* qkv = nullptr;  // fp32 [T, 3H] query | key | value (the parts not in qkv8)
  int ld_qkv = 0;
  const int8_t* qkv8 = nullptr;  // int8 [T, 3H], for the parts with part_int8
  int ld_qkv8 = 0;
  bool part_int8[3] = {false, false, false};  // query, key, value already int8 (static scale)
  float scale[3] = {0.0f, 0.0f, 0.0f};        // their static scales; 0: dynamic
  float probs_scale = 1.0f / 127.0f;          // step of the int8 probabilities
  float* context = nullptr;                   // fp32 [T, H] out, or
  int ld_context = 0;
  int8_t* context8 = nullptr;  // int8 [T, H] out, requantized with context_scale
  int ld_context8 = 0;
  float context_scale = 1.0f;
  int heads = 0;
  int head_dim = 0;
  const AttentionRow* rows = nullptr;
  int num_rows = 0;
  // Optional observation in the padded layout [rows, heads, seq, seq] (zero-filled by the
  // caller): fp32 scores (lowest float at masked keys) and the dequantized probabilities.
  float* scores_out = nullptr;
  float* probs_out = nullptr;
  int seq = 0;
};

/// Runs the INT8 attention with the kernels of `isa` over `pool` (null: serially). Throws
/// samp::Error on inconsistent arguments (a part marked int8 without a static scale, …).
void attention_int8(Int8Isa isa, const Int8AttentionArgs& args, ThreadPool* pool);

}  // namespace samp::cpu
