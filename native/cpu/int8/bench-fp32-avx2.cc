// The fp32 floor of bench-int8-gemm: a register-blocked AVX2+FMA SGEMM, C = A·Bᵀ + bias, over B
// packed as [N/16][K][16]. Compiled with -mavx2 -mfma only; internal helpers in an anonymous
// namespace (no std:: templates) so nothing here can leak into baseline code.
#include <immintrin.h>

#include <cstddef>
#include <cstring>

namespace samp_bench {
namespace {

constexpr std::size_t kMR = 6;

template <std::size_t MR>
void kernel(const float* a, std::size_t lda, const float* bp, std::size_t k, float* tile) {
  __m256 acc[MR][2];
  for (std::size_t r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (std::size_t kk = 0; kk < k; ++kk) {
    const __m256 b0 = _mm256_loadu_ps(bp + kk * 16);
    const __m256 b1 = _mm256_loadu_ps(bp + kk * 16 + 8);
    for (std::size_t r = 0; r < MR; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + kk);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  for (std::size_t r = 0; r < MR; ++r) {
    _mm256_storeu_ps(tile + r * 16, acc[r][0]);
    _mm256_storeu_ps(tile + r * 16 + 8, acc[r][1]);
  }
}

}  // namespace

void sgemm_avx2_range(const float* a, std::size_t lda, const float* bp, std::size_t n, std::size_t k,
                      const float* bias, float* c, std::size_t ldc, std::size_t m0, std::size_t m1,
                      std::size_t n0, std::size_t n1) {
  alignas(32) float tile[kMR * 16];
  for (std::size_t b = n0 / 16; b * 16 < n1; ++b) {
    const float* bb = bp + b * k * 16;
    const std::size_t cols = (n1 - b * 16) < 16 ? n1 - b * 16 : 16;
    for (std::size_t m = m0; m < m1; m += kMR) {
      const std::size_t rows = (m1 - m) < kMR ? m1 - m : kMR;
      switch (rows) {
        case 6: kernel<6>(a + m * lda, lda, bb, k, tile); break;
        case 5: kernel<5>(a + m * lda, lda, bb, k, tile); break;
        case 4: kernel<4>(a + m * lda, lda, bb, k, tile); break;
        case 3: kernel<3>(a + m * lda, lda, bb, k, tile); break;
        case 2: kernel<2>(a + m * lda, lda, bb, k, tile); break;
        default: kernel<1>(a + m * lda, lda, bb, k, tile); break;
      }
      for (std::size_t r = 0; r < rows; ++r) {
        float* dst = c + (m + r) * ldc + b * 16;
        for (std::size_t j = 0; j < cols; ++j) dst[j] = tile[r * 16 + j] + bias[b * 16 + j];
      }
    }
  }
  (void)n;
}

}  // namespace samp_bench
