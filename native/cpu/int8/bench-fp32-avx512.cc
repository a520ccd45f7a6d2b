// The fp32 floor of bench-int8-gemm on AVX-512 machines: 8 rows × 32 columns of zmm FMAs,
// C = A·Bᵀ + bias over B packed as [N/16][K][16]. Compiled with -mavx512f -mfma only.
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_*()
// temporaries (GCC bug 105593); silence it for this file, before the headers are read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstddef>

namespace samp_bench {
namespace {

constexpr std::size_t kMR = 8;

template <std::size_t MR, std::size_t NB>
void kernel(const float* a, std::size_t lda, const float* bp, std::size_t k, float* tile) {
  __m512 acc[MR][NB];
  for (std::size_t r = 0; r < MR; ++r) {
    for (std::size_t j = 0; j < NB; ++j) acc[r][j] = _mm512_setzero_ps();
  }
  for (std::size_t kk = 0; kk < k; ++kk) {
    __m512 bv[NB];
    for (std::size_t j = 0; j < NB; ++j) bv[j] = _mm512_loadu_ps(bp + j * k * 16 + kk * 16);
    for (std::size_t r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * lda + kk]);
      for (std::size_t j = 0; j < NB; ++j) acc[r][j] = _mm512_fmadd_ps(av, bv[j], acc[r][j]);
    }
  }
  for (std::size_t r = 0; r < MR; ++r) {
    for (std::size_t j = 0; j < NB; ++j) _mm512_storeu_ps(tile + r * 32 + j * 16, acc[r][j]);
  }
}

template <std::size_t NB>
void rows_kernel(std::size_t rows, const float* a, std::size_t lda, const float* bp, std::size_t k,
                 float* tile) {
  switch (rows) {
    case 8: kernel<8, NB>(a, lda, bp, k, tile); break;
    case 7: kernel<7, NB>(a, lda, bp, k, tile); break;
    case 6: kernel<6, NB>(a, lda, bp, k, tile); break;
    case 5: kernel<5, NB>(a, lda, bp, k, tile); break;
    case 4: kernel<4, NB>(a, lda, bp, k, tile); break;
    case 3: kernel<3, NB>(a, lda, bp, k, tile); break;
    case 2: kernel<2, NB>(a, lda, bp, k, tile); break;
    default: kernel<1, NB>(a, lda, bp, k, tile); break;
  }
}

}  // namespace

void sgemm_avx512_range(const float* a, std::size_t lda, const float* bp, std::size_t n,
                        std::size_t k, const float* bias, float* c, std::size_t ldc, std::size_t m0,
                        std::size_t m1, std::size_t n0, std::size_t n1) {
  alignas(64) float tile[kMR * 32];
  const std::size_t nblocks = (n1 + 15) / 16;
  for (std::size_t b = n0 / 16; b < nblocks; b += 2) {
    const std::size_t nb = nblocks - b >= 2 ? 2 : 1;
    const float* bb = bp + b * k * 16;
    const std::size_t cols = (n1 - b * 16) < nb * 16 ? n1 - b * 16 : nb * 16;
    for (std::size_t m = m0; m < m1; m += kMR) {
      const std::size_t rows = (m1 - m) < kMR ? m1 - m : kMR;
      if (nb == 2) {
        rows_kernel<2>(rows, a + m * lda, lda, bb, k, tile);
      } else {
        rows_kernel<1>(rows, a + m * lda, lda, bb, k, tile);
      }
      for (std::size_t r = 0; r < rows; ++r) {
        float* dst = c + (m + r) * ldc + b * 16;
        for (std::size_t j = 0; j < cols; ++j) dst[j] = tile[r * 32 + j] + bias[b * 16 + j];
      }
    }
  }
  (void)n;
}

}  // namespace samp_bench
