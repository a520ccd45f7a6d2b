// AVX-512 VNNI kernels (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni): VPDPBUSD on
// zmm, one zmm = one 16-channel block. A is packed as a+128 (u8) and the epilogue subtracts
// 128·Σ_k W[n,k]: exact (non-saturating int32 sums).
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_*()
// temporaries (GCC bug 105593); silence it for this file, before the headers are read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#if defined(SAMP_INT8_EMULATE)  // test-only software model, see testing/isa-emulation.h
#define SAMP_INT8_EMULATE_AVX512 1
#include "testing/isa-emulation.h"
#else
#include <immintrin.h>
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernel-impl.h"
#include "kernels.h"
#include "vec-avx512.h"

namespace samp::int8::detail {
namespace {

struct Avx512VnniKernel {
  using V = VAvx512;
  static constexpr std::size_t kMR = 8;  // 8 rows × 2 blocks = 16 of 32 zmm accumulators
  static constexpr std::size_t kNB = 2;
  static constexpr std::size_t kMC = 96;
  static constexpr bool kCompensate = true;

  static std::size_t panel_bytes(const KernelArgs& a) { return a.k_groups * kMR * 4; }
  static void pack(const KernelArgs& a, const int8_t* rows, std::size_t rows_valid,
                   uint8_t* panel) {
    pack_groups_u8<kMR>(a, rows, rows_valid, 0x80, panel);
  }
  static void begin() {}
  static void end() {}

  template <int NB>
  static void ukernel(const KernelArgs& a, const uint8_t* panel, std::size_t block,
                      int32_t* tile) {
    static_assert(NB == 1 || NB == 2, "1 or 2 blocks");
    const int8_t* w = a.w + block * a.w_block_stride;
    __m512i acc[kMR][NB];
    for (std::size_t r = 0; r < kMR; ++r) {
      for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_setzero_si512();
    }
    const std::size_t kg = a.k_groups;
    for (std::size_t g = 0; g < kg; ++g) {
      __m512i wv[NB];
      for (int j = 0; j < NB; ++j) wv[j] = _mm512_loadu_si512(w + j * a.w_block_stride + g * 64);
      const uint8_t* ap = panel + g * kMR * 4;
      for (std::size_t r = 0; r < kMR; ++r) {
        int32_t v;
        std::memcpy(&v, ap + r * 4, 4);
        const __m512i av = _mm512_set1_epi32(v);
        for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], av, wv[j]);
      }
    }
    for (std::size_t r = 0; r < kMR; ++r) {
      for (int j = 0; j < NB; ++j) _mm512_storeu_si512(tile + r * kNB * 16 + j * 16, acc[r][j]);
    }
  }
};

void gemm_range(const KernelArgs& a, std::size_t m0, std::size_t m1, std::size_t n0,
                std::size_t n1) {
  run_range<Avx512VnniKernel>(a, m0, m1, n0, n1);
}
float absmax(const float* x, std::size_t n) { return absmax_impl<VAvx512>(x, n); }
void quantize(const float* x, std::size_t n, float inv, int8_t* q) {
  quantize_impl<VAvx512>(x, n, inv, q);
}
void softmax_quantize(float* x, std::size_t n, float inv, int8_t* q) {
  softmax_quantize_impl<VAvx512>(x, n, inv, q);
}

}  // namespace

const KernelTable& avx512_vnni_kernels() {
  static const KernelTable table{Int8Isa::kAvx512Vnni, gemm_range, absmax, quantize,
                                 softmax_quantize};
  return table;
}

}  // namespace samp::int8::detail
