// AVX-VNNI kernels (compiled with -mavx2 -mavxvnni): VEX-encoded VPDPBUSD on 256-bit registers.
// VPDPBUSD multiplies u8 × s8, so A is packed as a+128 (sign bit flipped) and the epilogue
// subtracts 128·Σ_k W[n,k], precomputed at weight packing: exact (non-saturating int32 sums).
#include <immintrin.h>
#if defined(SAMP_INT8_EMULATE)  // test-only software model, see testing/isa-emulation.h
#define SAMP_INT8_EMULATE_AVX_VNNI 1
#include "testing/isa-emulation.h"
#define SAMP_DPBUSD256 emu_mm256_dpbusd_avx_epi32
#else
#define SAMP_DPBUSD256 _mm256_dpbusd_avx_epi32
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernel-impl.h"
#include "kernels.h"
#include "vec-avx2.h"

namespace samp::int8::detail {
namespace {

struct AvxVnniKernel {
  using V = VAvx2;
  static constexpr std::size_t kMR = 6;  // 6 rows × 2 ymm accumulators = 12 of 16 registers
  static constexpr std::size_t kNB = 1;
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
    static_assert(NB == 1, "the AVX-VNNI kernel works on one 16-column block");
    const int8_t* w = a.w + block * a.w_block_stride;
    __m256i acc[kMR][2];
    for (std::size_t r = 0; r < kMR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    const std::size_t kg = a.k_groups;
    for (std::size_t g = 0; g < kg; ++g) {
      const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * 64));
      const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * 64 + 32));
      const uint8_t* ap = panel + g * kMR * 4;
      for (std::size_t r = 0; r < kMR; ++r) {
        int32_t v;
        std::memcpy(&v, ap + r * 4, 4);
        const __m256i av = _mm256_set1_epi32(v);
        acc[r][0] = SAMP_DPBUSD256(acc[r][0], av, w0);
        acc[r][1] = SAMP_DPBUSD256(acc[r][1], av, w1);
      }
    }
    for (std::size_t r = 0; r < kMR; ++r) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(tile + r * 16), acc[r][0]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(tile + r * 16 + 8), acc[r][1]);
    }
  }
};

void gemm_range(const KernelArgs& a, std::size_t m0, std::size_t m1, std::size_t n0,
                std::size_t n1) {
  run_range<AvxVnniKernel>(a, m0, m1, n0, n1);
}
float absmax(const float* x, std::size_t n) { return absmax_impl<VAvx2>(x, n); }
void quantize(const float* x, std::size_t n, float inv, int8_t* q) {
  quantize_impl<VAvx2>(x, n, inv, q);
}
void softmax_quantize(float* x, std::size_t n, float inv, int8_t* q) {
  softmax_quantize_impl<VAvx2>(x, n, inv, q);
}

}  // namespace

const KernelTable& avx_vnni_kernels() {
  static const KernelTable table{Int8Isa::kAvxVnni, gemm_range, absmax, quantize,
                                 softmax_quantize};
  return table;
}

}  // namespace samp::int8::detail
