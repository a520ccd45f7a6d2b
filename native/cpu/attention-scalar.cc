// Attention kernels for the baseline ISA (SAMP_CPU_ISA=scalar, or CPUs without AVX2).
#include <cmath>

#include "cpu/attention.h"

namespace samp::cpu {

void softmax_row_scalar(float* x, int n) {
  float m = x[0];
  for (int j = 1; j < n; ++j)
    m = x[j] > m ? x[j] : m;
  float sum = 0.0f;
  for (int j = 0; j < n; ++j) {
    x[j] = std::exp(x[j] - m);
    sum += x[j];
  }
  const float inv = 1.0f / sum;
  for (int j = 0; j < n; ++j)
    x[j] *= inv;
}

namespace scalar_impl {
inline void softmax_row(float* x, int n) {
  softmax_row_scalar(x, n);
}
}  // namespace scalar_impl

}  // namespace samp::cpu

#define SAMP_ATTENTION_NS scalar_impl
#include "cpu/attention-impl.h"

namespace samp::cpu {

void attention_task_scalar(const AttentionArgs& args, int row, int head, int q0, int q1,
                           float* scratch) {
  scalar_impl::attention_task_impl(args, row, head, q0, q1, scratch);
}

}  // namespace samp::cpu
