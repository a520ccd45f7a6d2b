// The scalar reference kernel: plain loops over the packed panels (compiled for the baseline ISA).
#include <algorithm>

#include "cpu/sgemm.h"

namespace samp::cpu {

void sgemm_block_scalar(const GemmBlock& b) {
  const int k = b.w->k();
  const int n = b.w->n();
  const GemmEpilogue& ep = *b.epilogue;
  float acc[kGemmMr][kGemmNr];
  for (int p = b.p0; p < b.p1; ++p) {
    const float* panel = b.w->panel(p);
    const int n0 = p * kGemmNr;
    const int cols = std::min(kGemmNr, n - n0);
    for (int m0 = b.m0; m0 < b.m1; m0 += kGemmMr) {
      const int rows = std::min(kGemmMr, b.m1 - m0);
      for (int i = 0; i < rows; ++i) {
        for (int j = 0; j < kGemmNr; ++j)
          acc[i][j] = 0.0f;
        const float* a_row = b.a + static_cast<std::size_t>(m0 + i) * b.lda;
        for (int kk = 0; kk < k; ++kk) {
          const float av = a_row[kk];
          const float* bk = panel + static_cast<std::size_t>(kk) * kGemmNr;
          for (int j = 0; j < kGemmNr; ++j)
            acc[i][j] += av * bk[j];
        }
        float* c_row = b.c + static_cast<std::size_t>(m0 + i) * b.ldc + n0;
        const float* r_row = ep.residual == nullptr
                                 ? nullptr
                                 : ep.residual + static_cast<std::size_t>(m0 + i) * ep.ldr + n0;
        for (int j = 0; j < cols; ++j) {
          float v = acc[i][j];
          if (ep.bias != nullptr)
            v += ep.bias[n0 + j];
          v = apply_activation(ep.activation, v);
          if (r_row != nullptr)
            v += r_row[j];
          c_row[j] = v;
        }
      }
    }
  }
}

}  // namespace samp::cpu
