// Multi-head self-attention over packed tokens: for each batch row, its queries (the row's first
// `queries` tokens) attend to its first `keys` tokens (the real ones), so padding keys are
// excluded exactly, as Hugging Face's additive large-negative mask does, and padded queries (when
// computed) get Hugging Face's values too. Softmax in FP32. Parallel over rows × heads × query
// chunks; the scalar and AVX2 builds share attention-impl.h.
#pragma once

#include "cpu/fp32-isa.h"
#include "cpu/thread-pool.h"

namespace samp::cpu {

struct AttentionRow {
  int start;    // first token of the row in the packed buffers
  int queries;  // tokens of the row that are computed (real ones, plus padding when computed)
  int keys;     // real tokens of the row
};

struct AttentionArgs {
  const float* qkv = nullptr;  // [T, 3H]: query | key | value, heads side by side in each
  int ld_qkv = 0;
  float* context = nullptr;  // [T, H] out, heads side by side
  int ld_context = 0;
  int heads = 0;
  int head_dim = 0;
  float scale = 1.0f;  // 1/sqrt(head_dim)
  const AttentionRow* rows = nullptr;
  int num_rows = 0;
  // Optional observation in the padded layout [rows, heads, seq, seq] (zero-filled by the caller):
  // scores get the lowest float at masked keys (HF's additive mask), probabilities 0.
  float* scores_out = nullptr;
  float* probs_out = nullptr;
  int seq = 0;
};

void attention(Fp32Isa isa, const AttentionArgs& args, ThreadPool* pool);

/// One task: queries [q0, q1) of `row` for one head. `scratch` holds head_dim × keys + keys
/// floats. The per-ISA builds of the shared loops (no standard-library templates in the ISA
/// translation units, so the linker can never pick an AVX2 copy for baseline code).
void attention_task_scalar(const AttentionArgs& args, int row, int head, int q0, int q1,
                           float* scratch);
void attention_task_avx2(const AttentionArgs& args, int row, int head, int q0, int q1,
                         float* scratch);

/// Softmax of one row in place, FP32 (max-subtracted). Exposed for the kernel tests.
void softmax_row_scalar(float* x, int n);
void softmax_row_avx2(float* x, int n);

}  // namespace samp::cpu
