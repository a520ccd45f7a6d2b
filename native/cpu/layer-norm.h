// LayerNorm over rows, in place, with float64 statistics (mean and variance in two passes).
#pragma once

#include "cpu/fp32-isa.h"

namespace samp::cpu {

/// x[r, 0..n) ← (x − mean) / sqrt(var + eps) · gamma + beta for r in [row_begin, row_end); `ld` is
/// the row stride. Variance is the biased one, as torch.nn.LayerNorm computes it.
void layer_norm_rows(float* x, int ld, int n, int row_begin, int row_end, const float* gamma,
                     const float* beta, float eps);

/// The same with AVX2 (layer-norm-avx2.cc; float lanes folded in float64, relative error ~1e-7).
void layer_norm_rows_avx2(float* x, int ld, int n, int row_begin, int row_end, const float* gamma,
                          const float* beta, float eps);

/// layer_norm_rows with the kernels of `isa`.
inline void layer_norm_rows(Fp32Isa isa, float* x, int ld, int n, int row_begin, int row_end,
                            const float* gamma, const float* beta, float eps) {
  if (isa == Fp32Isa::kAvx2) {
    layer_norm_rows_avx2(x, ld, n, row_begin, row_end, gamma, beta, eps);
  } else {
    layer_norm_rows(x, ld, n, row_begin, row_end, gamma, beta, eps);
  }
}

/// One row given as float64 values (the embedding kernel sums its lookups in float64), written to
/// `out` as float.
void layer_norm_row_f64(const double* x, int n, const float* gamma, const float* beta, float eps,
                        float* out);

}  // namespace samp::cpu
