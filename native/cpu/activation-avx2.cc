// Activations over a span with the AVX2 vector math (the GEMM epilogue's forms), for the kernel
// tests and any caller that applies an activation outside a GEMM. Compiled with -mavx2 -mfma.
#include <immintrin.h>

#include "cpu/activation-span.h"
#include "cpu/vector-math-avx2.h"

namespace samp::cpu {

void activation_span_avx2(Activation a, float* x, int n) {
  int j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(x + j, avx2::activation_ps(a, _mm256_loadu_ps(x + j)));
  if (j < n) {
    alignas(32) float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int l = 0; l < n - j; ++l)
      tail[l] = x[j + l];
    _mm256_store_ps(tail, avx2::activation_ps(a, _mm256_load_ps(tail)));
    for (int l = 0; l < n - j; ++l)
      x[j + l] = tail[l];
  }
}

}  // namespace samp::cpu
