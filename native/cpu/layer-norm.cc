#include "cpu/layer-norm.h"

#include <cmath>
#include <cstddef>

namespace samp::cpu {

void layer_norm_rows(float* x, int ld, int n, int row_begin, int row_end, const float* gamma,
                     const float* beta, float eps) {
  for (int r = row_begin; r < row_end; ++r) {
    float* row = x + static_cast<std::size_t>(r) * ld;
    double sum = 0.0;
    for (int j = 0; j < n; ++j)
      sum += row[j];
    const double mean = sum / n;
    double sq = 0.0;
    for (int j = 0; j < n; ++j) {
      const double d = row[j] - mean;
      sq += d * d;
    }
    const double inv = 1.0 / std::sqrt(sq / n + static_cast<double>(eps));
    for (int j = 0; j < n; ++j) {
      row[j] = static_cast<float>((row[j] - mean) * inv * gamma[j] + beta[j]);
    }
  }
}

void layer_norm_row_f64(const double* x, int n, const float* gamma, const float* beta, float eps,
                        float* out) {
  double sum = 0.0;
  for (int j = 0; j < n; ++j)
    sum += x[j];
  const double mean = sum / n;
  double sq = 0.0;
  for (int j = 0; j < n; ++j) {
    const double d = x[j] - mean;
    sq += d * d;
  }
  const double inv = 1.0 / std::sqrt(sq / n + static_cast<double>(eps));
  for (int j = 0; j < n; ++j)
    out[j] = static_cast<float>((x[j] - mean) * inv * gamma[j] + beta[j]);
}

}  // namespace samp::cpu
