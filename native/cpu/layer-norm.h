// LayerNorm over rows, in place, with float64 statistics (mean and variance in two passes).
#pragma once

namespace samp::cpu {

/// x[r, 0..n) ← (x − mean) / sqrt(var + eps) · gamma + beta for r in [row_begin, row_end); `ld` is
/// the row stride. Variance is the biased one, as torch.nn.LayerNorm computes it.
void layer_norm_rows(float* x, int ld, int n, int row_begin, int row_end, const float* gamma,
                     const float* beta, float eps);

/// One row given as float64 values (the embedding kernel sums its lookups in float64), written to
/// `out` as float.
void layer_norm_row_f64(const double* x, int n, const float* gamma, const float* beta, float eps,
                        float* out);

}  // namespace samp::cpu
