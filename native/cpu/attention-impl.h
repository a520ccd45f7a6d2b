// The attention loops shared by attention-scalar.cc and attention-avx2.cc: each includes this file
// after defining SAMP_ATTENTION_NS and its softmax_row, so the same loops compile once per ISA
// (inner loops in axpy form, no reductions, so they auto-vectorise). Plain loops only: no
// standard-library templates, whose out-of-line copies the linker could share across ISAs.
#include <cfloat>
#include <cstddef>

#include "cpu/attention.h"

namespace samp::cpu::SAMP_ATTENTION_NS {

inline void attention_task_impl(const AttentionArgs& a, int r, int head, int q0, int q1,
                                float* scratch) {
  const AttentionRow& row = a.rows[r];
  const int d = a.head_dim;
  const int nk = row.keys;
  const std::size_t hidden = static_cast<std::size_t>(a.heads) * d;
  const std::size_t ho = static_cast<std::size_t>(head) * d;
  // Keys of this head, transposed to [d, nk] so scores are axpys over the keys.
  float* kt = scratch;
  float* s = scratch + static_cast<std::size_t>(d) * nk;
  for (int j = 0; j < nk; ++j) {
    const float* k = a.qkv + static_cast<std::size_t>(row.start + j) * a.ld_qkv + hidden + ho;
    for (int c = 0; c < d; ++c)
      kt[static_cast<std::size_t>(c) * nk + j] = k[c];
  }
  for (int i = q0; i < q1; ++i) {
    const float* q = a.qkv + static_cast<std::size_t>(row.start + i) * a.ld_qkv + ho;
    for (int j = 0; j < nk; ++j)
      s[j] = 0.0f;
    for (int c = 0; c < d; ++c) {
      const float qc = q[c];
      const float* kc = kt + static_cast<std::size_t>(c) * nk;
      for (int j = 0; j < nk; ++j)
        s[j] += qc * kc[j];
    }
    for (int j = 0; j < nk; ++j)
      s[j] *= a.scale;
    const std::size_t obs = ((static_cast<std::size_t>(r) * a.heads + head) * a.seq + i) * a.seq;
    if (a.scores_out != nullptr) {
      float* o = a.scores_out + obs;
      for (int j = 0; j < nk; ++j)
        o[j] = s[j];
      for (int j = nk; j < a.seq; ++j)
        o[j] = -FLT_MAX;
    }
    softmax_row(s, nk);
    if (a.probs_out != nullptr) {
      float* o = a.probs_out + obs;
      for (int j = 0; j < nk; ++j)
        o[j] = s[j];
    }
    float* out = a.context + static_cast<std::size_t>(row.start + i) * a.ld_context + ho;
    for (int c = 0; c < d; ++c)
      out[c] = 0.0f;
    for (int j = 0; j < nk; ++j) {
      const float p = s[j];
      const float* v = a.qkv + static_cast<std::size_t>(row.start + j) * a.ld_qkv + 2 * hidden + ho;
      for (int c = 0; c < d; ++c)
        out[c] += p * v[c];
    }
  }
}

}  // namespace samp::cpu::SAMP_ATTENTION_NS
