// Attention kernels compiled with -mavx2 -mfma: the shared loops vectorise to 8 lanes, softmax
// uses the vector exp. Plain loops and intrinsics only (see attention-impl.h).
#include <immintrin.h>

#include "cpu/attention.h"
#include "cpu/vector-math-avx2.h"

namespace samp::cpu {

void softmax_row_avx2(float* x, int n) {
  int j = 0;
  __m256 vmax = _mm256_set1_ps(x[0]);
  for (; j + 8 <= n; j += 8)
    vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + j));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, vmax);
  float m = lanes[0];
  for (int l = 1; l < 8; ++l)
    m = lanes[l] > m ? lanes[l] : m;
  for (; j < n; ++j)
    m = x[j] > m ? x[j] : m;
  const __m256 vm = _mm256_set1_ps(m);
  __m256 vsum = _mm256_setzero_ps();
  j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = avx2::exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm));
    _mm256_storeu_ps(x + j, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  float sum = avx2::hsum_ps(vsum);
  if (j < n) {
    // The tail through the same vector exp, so every element gets identical math.
    alignas(32) float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const int left = n - j;
    for (int l = 0; l < left; ++l)
      tail[l] = x[j + l] - m;
    _mm256_store_ps(tail, avx2::exp_ps(_mm256_load_ps(tail)));
    for (int l = 0; l < left; ++l) {
      x[j + l] = tail[l];
      sum += tail[l];
    }
  }
  const __m256 inv = _mm256_set1_ps(1.0f / sum);
  j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(x + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), inv));
  const float inv_s = 1.0f / sum;
  for (; j < n; ++j)
    x[j] *= inv_s;
}

namespace avx2_impl {
inline void softmax_row(float* x, int n) {
  softmax_row_avx2(x, n);
}
}  // namespace avx2_impl

}  // namespace samp::cpu

#define SAMP_ATTENTION_NS avx2_impl
#include "cpu/attention-impl.h"

namespace samp::cpu {

void attention_task_avx2(const AttentionArgs& args, int row, int head, int q0, int q1,
                         float* scratch) {
  avx2_impl::attention_task_impl(args, row, head, q0, q1, scratch);
}

}  // namespace samp::cpu
