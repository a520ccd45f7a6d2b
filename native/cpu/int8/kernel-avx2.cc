// AVX2 kernels (compiled with -mavx2 only). No u8×s8 dot product here: VPMADDUBSW would add two
// u8·s8 products into a saturating int16 (255·127·2 > 32767), so instead both operands are
// sign-extended to int16 (VPMOVSXBW) and multiplied with VPMADDWD, whose int32 pair sums cannot
// saturate: exact for the full int8 range, -128 included, and no compensation term needed.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernel-impl.h"
#include "kernels.h"
#include "vec-avx2.h"

namespace samp::int8::detail {
namespace {

struct Avx2Kernel {
  using V = VAvx2;
  static constexpr std::size_t kMR = 2;
  static constexpr std::size_t kNB = 1;
  static constexpr std::size_t kMC = 96;
  static constexpr bool kCompensate = false;

  // Panel: [group][row][4 × int16] — one 64-bit broadcast per row and group.
  static std::size_t panel_bytes(const KernelArgs& a) { return a.k_groups * kMR * 8; }
  static void pack(const KernelArgs& a, const int8_t* rows, std::size_t rows_valid,
                   uint8_t* panel) {
    const std::size_t kg = a.k_groups;
    for (std::size_t r = 0; r < kMR; ++r) {
      for (std::size_t g = 0; g < kg; ++g) {
        int16_t v[4] = {0, 0, 0, 0};
        if (r < rows_valid) {
          const int8_t* src = rows + r * a.lda;
          for (std::size_t i = 0; i < 4; ++i) {
            const std::size_t kk = g * 4 + i;
            if (kk < a.k) v[i] = src[kk];
          }
        }
        std::memcpy(panel + (g * kMR + r) * 8, v, 8);
      }
    }
  }
  static void begin() {}
  static void end() {}

  template <int NB>
  static void ukernel(const KernelArgs& a, const uint8_t* panel, std::size_t block,
                      int32_t* tile) {
    static_assert(NB == 1, "the AVX2 kernel works on one 16-column block");
    static_assert(kMR == 2, "the accumulators below are written out for 2 rows");
    const int8_t* w = a.w + block * a.w_block_stride;
    // cRJ: row R, columns 4J..4J+3, as int32 pairs (k0·w0 + k1·w1, k2·w2 + k3·w3) per column.
    // Named variables rather than an array: GCC keeps them in registers (an array made it spill).
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00;
    __m256i c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    const std::size_t kg = a.k_groups;
    for (std::size_t g = 0; g < kg; ++g) {
      const int8_t* wp = w + g * 64;
      long long v0, v1;
      std::memcpy(&v0, panel + g * 16, 8);
      std::memcpy(&v1, panel + g * 16 + 8, 8);
      const __m256i a0 = _mm256_set1_epi64x(v0);
      const __m256i a1 = _mm256_set1_epi64x(v1);
      // One weight vector live at a time (with 8 accumulators and 2 broadcasts, more spill).
      __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wp)));
      c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(a0, wv));
      c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(a1, wv));
      wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wp + 16)));
      c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(a0, wv));
      c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(a1, wv));
      wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wp + 32)));
      c02 = _mm256_add_epi32(c02, _mm256_madd_epi16(a0, wv));
      c12 = _mm256_add_epi32(c12, _mm256_madd_epi16(a1, wv));
      wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wp + 48)));
      c03 = _mm256_add_epi32(c03, _mm256_madd_epi16(a0, wv));
      c13 = _mm256_add_epi32(c13, _mm256_madd_epi16(a1, wv));
    }
    // hadd gives [c0 c1 c4 c5 | c2 c3 c6 c7]; the 64-bit permute restores column order.
    auto fold = [](__m256i x, __m256i y) {
      return _mm256_permute4x64_epi64(_mm256_hadd_epi32(x, y), 0xD8);
    };
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(tile), fold(c00, c01));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(tile + 8), fold(c02, c03));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(tile + 16), fold(c10, c11));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(tile + 24), fold(c12, c13));
  }
};

void gemm_range(const KernelArgs& a, std::size_t m0, std::size_t m1, std::size_t n0,
                std::size_t n1) {
  run_range<Avx2Kernel>(a, m0, m1, n0, n1);
}
float absmax(const float* x, std::size_t n) { return absmax_impl<VAvx2>(x, n); }
void quantize(const float* x, std::size_t n, float inv, int8_t* q) {
  quantize_impl<VAvx2>(x, n, inv, q);
}

}  // namespace

const KernelTable& avx2_kernels() {
  static const KernelTable table{Int8Isa::kAvx2, gemm_range, absmax, quantize};
  return table;
}

}  // namespace samp::int8::detail
