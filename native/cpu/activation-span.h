// An activation applied in place over a span, per ISA (the same math as the GEMM epilogues).
#pragma once

#include "cpu/activation.h"

namespace samp::cpu {

inline void activation_span_scalar(Activation a, float* x, int n) {
  for (int j = 0; j < n; ++j)
    x[j] = apply_activation(a, x[j]);
}

/// AVX2+FMA; call only when the CPU has them.
void activation_span_avx2(Activation a, float* x, int n);

}  // namespace samp::cpu
