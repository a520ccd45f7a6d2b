// AVX2 kernels (compiled with -mavx2 only). No u8×s8 dot product here: VPMADDUBSW would add two
// u8·s8 products into a saturating int16 (255·127·2 > 32767), so instead both operands are
// sign-extended to int16 and multiplied with VPMADDWD, whose int32 pair sums cannot saturate:
// exact for the full int8 range, -128 included, and no compensation term needed.
//
// Blocking: for each chunk of up to 96 rows, A is packed once as int16 pairs [k/2][6 rows][2];
// then for each 16-column block the weights are widened once to int16 pairs [k/2][16 cols][2]
// (thread scratch, reused by all 16 row blocks of the chunk), and a 6×16 micro-kernel runs: 12
// ymm accumulators, per k-pair two weight vectors and one 32-bit broadcast per row, one VPMADDWD
// + VPADDD per 16 multiply-adds. Widening the weights outside the inner loop (instead of
// VPMOVSXBW per 2 rows, as before) is what lets the loop issue close to two VPMADDWD per cycle.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernel-impl.h"
#include "kernels.h"
#include "vec-avx2.h"

namespace samp::int8::detail {
namespace {

constexpr std::size_t kMR = 6;
constexpr std::size_t kMC = 96;  // rows per packed chunk (16 row blocks)

inline std::size_t pairs_of(const KernelArgs& a) { return a.k_groups * 2; }
inline std::size_t panel_bytes(const KernelArgs& a) { return pairs_of(a) * kMR * 4; }
inline std::size_t wide_bytes(const KernelArgs& a) { return pairs_of(a) * 16 * 4; }

/// Packs up to 6 rows of A (rows_valid real, the rest zero) as int16 pairs: panel[p][r] holds
/// (A[r][2p], A[r][2p+1]), zero past K.
void pack_a(const KernelArgs& a, const int8_t* rows, std::size_t rows_valid, uint8_t* panel) {
  const std::size_t np = pairs_of(a);
  const std::size_t k = a.k;
  for (std::size_t r = 0; r < kMR; ++r) {
    uint8_t* dst = panel + r * 4;
    if (r >= rows_valid) {
      for (std::size_t p = 0; p < np; ++p) std::memset(dst + p * kMR * 4, 0, 4);
      continue;
    }
    const int8_t* src = rows + r * a.lda;
    std::size_t p = 0;
    // 16 k at a time: sign-extend to 8 int16 pairs, then scatter the pairs (32-bit each).
    for (; (p + 8) * 2 <= k; p += 8) {
      alignas(32) uint32_t v[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(v),
                         _mm256_cvtepi8_epi16(
                             _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + p * 2))));
      for (std::size_t i = 0; i < 8; ++i) std::memcpy(dst + (p + i) * kMR * 4, &v[i], 4);
    }
    for (; p < np; ++p) {
      int16_t v[2] = {0, 0};
      if (p * 2 < k) v[0] = src[p * 2];
      if (p * 2 + 1 < k) v[1] = src[p * 2 + 1];
      std::memcpy(dst + p * kMR * 4, v, 4);
    }
  }
}

/// Widens one packed 16-channel block ([k/4][16 ch][4 k] int8) to int16 pairs [k/2][16 ch][2]:
/// per group of 4 k, pair 0 = (k0, k1) of every channel, pair 1 = (k2, k3).
void widen_block(const KernelArgs& a, const int8_t* w, int16_t* out) {
  // Within each 128-bit lane (4 channels × 4 bytes): (k0,k1) of the 4 channels, then (k2,k3).
  const __m256i split = _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15, 0,
                                         1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
  for (std::size_t g = 0; g < a.k_groups; ++g) {
    const __m256i lo = _mm256_shuffle_epi8(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * 64)), split);  // ch 0-7
    const __m256i hi = _mm256_shuffle_epi8(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * 64 + 32)), split);  // 8-15
    // 64-bit quarters: [ch0-3 pair0, ch0-3 pair1, ch4-7 pair0, ch4-7 pair1] → pair0 ch0-7 first.
    const __m256i lo_q = _mm256_permute4x64_epi64(lo, 0xD8);
    const __m256i hi_q = _mm256_permute4x64_epi64(hi, 0xD8);
    int16_t* p0 = out + g * 64;  // pair 2g: 16 channels × 2
    int16_t* p1 = p0 + 32;       // pair 2g + 1
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p0),
                        _mm256_cvtepi8_epi16(_mm256_castsi256_si128(lo_q)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p0 + 16),
                        _mm256_cvtepi8_epi16(_mm256_castsi256_si128(hi_q)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p1),
                        _mm256_cvtepi8_epi16(_mm256_extracti128_si256(lo_q, 1)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p1 + 16),
                        _mm256_cvtepi8_epi16(_mm256_extracti128_si256(hi_q, 1)));
  }
}

/// int32 tile [6][16] = panel (6 rows) · wide block (16 channels) over every k-pair.
void ukernel(std::size_t pairs, const uint8_t* panel, const int16_t* wide, int32_t* tile) {
  // Local accumulators (never address-taken inside the loop), so GCC keeps all 12 in registers.
  __m256i c0[kMR], c1[kMR];
#pragma GCC unroll 6
  for (std::size_t r = 0; r < kMR; ++r) c0[r] = c1[r] = _mm256_setzero_si256();
  for (std::size_t p = 0; p < pairs; ++p) {
    const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wide + p * 32));
    const __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wide + p * 32 + 16));
    const uint8_t* ap = panel + p * kMR * 4;
#pragma GCC unroll 6
    for (std::size_t r = 0; r < kMR; ++r) {
      int32_t v;
      std::memcpy(&v, ap + r * 4, 4);
      const __m256i av = _mm256_set1_epi32(v);
      c0[r] = _mm256_add_epi32(c0[r], _mm256_madd_epi16(av, w0));
      c1[r] = _mm256_add_epi32(c1[r], _mm256_madd_epi16(av, w1));
    }
  }
#pragma GCC unroll 6
  for (std::size_t r = 0; r < kMR; ++r) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(tile + r * 16), c0[r]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(tile + r * 16 + 8), c1[r]);
  }
}

void gemm_range(const KernelArgs& a, std::size_t m0, std::size_t m1, std::size_t n0,
                std::size_t n1) {
  if (m0 >= m1 || n0 >= n1) return;
  const std::size_t pb = panel_bytes(a);
  const std::size_t b0 = n0 / 16;
  const std::size_t b1 = (n1 + 15) / 16;
  const std::size_t max_rbs = (min_sz(kMC, m1 - m0) + kMR - 1) / kMR;
  const std::size_t panels = (max_rbs * pb + 63) / 64 * 64;
  uint8_t* scratch = thread_scratch(panels + wide_bytes(a));
  uint8_t* panel = scratch;
  auto* wide = reinterpret_cast<int16_t*>(scratch + panels);
  const std::size_t pairs = pairs_of(a);
  alignas(64) int32_t tile[kMR * 16];
  for (std::size_t mc = m0; mc < m1; mc += kMC) {
    const std::size_t rows = min_sz(kMC, m1 - mc);
    const std::size_t rbs = (rows + kMR - 1) / kMR;
    for (std::size_t rb = 0; rb < rbs; ++rb) {
      pack_a(a, a.a + (mc + rb * kMR) * a.lda, min_sz(kMR, rows - rb * kMR), panel + rb * pb);
    }
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t col0 = b * 16;
      const std::size_t cols = min_sz(16, n1 - col0);
      widen_block(a, a.w + b * a.w_block_stride, wide);
      for (std::size_t rb = 0; rb < rbs; ++rb) {
        ukernel(pairs, panel + rb * pb, wide, tile);
        epilogue<VAvx2>(a, tile, 16, nullptr, mc + rb * kMR, min_sz(kMR, rows - rb * kMR), col0,
                        cols);
      }
    }
  }
}

float absmax(const float* x, std::size_t n) { return absmax_impl<VAvx2>(x, n); }
void quantize(const float* x, std::size_t n, float inv, int8_t* q) {
  quantize_impl<VAvx2>(x, n, inv, q);
}
void softmax_quantize(float* x, std::size_t n, float inv, int8_t* q) {
  softmax_quantize_impl<VAvx2>(x, n, inv, q);
}

}  // namespace

const KernelTable& avx2_kernels() {
  static const KernelTable table{Int8Isa::kAvx2, gemm_range, absmax, quantize,
                                 softmax_quantize};
  return table;
}

}  // namespace samp::int8::detail
