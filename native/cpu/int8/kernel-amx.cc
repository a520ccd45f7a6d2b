// AMX-INT8 kernels (compiled with -mamx-tile -mamx-int8 plus the AVX-512 flags of the epilogue).
// TDPBSSD multiplies s8 × s8 directly, so A is used as is (no +128, no compensation). Tiles:
// C 0-3 (16 rows × 16 int32 each, a 32×32 output block), A 4-5 (16 rows × 64 k), B 6-7
// (16 groups of 4 k × 16 channels: exactly one 1 KiB run of a packed weight block).
// Callers must hold the AMX permission (request_amx_permission); the dispatcher checks it.
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

struct alignas(64) TileConfig {
  uint8_t palette_id;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};
static_assert(sizeof(TileConfig) == 64, "LDTILECFG reads 64 bytes");

struct AmxKernel {
  using V = VAvx512;
  static constexpr std::size_t kMR = 32;
  static constexpr std::size_t kNB = 2;
  static constexpr std::size_t kMC = 96;
  static constexpr bool kCompensate = false;

  // Panel per 32-row block: [half][k chunk][16 rows][64 bytes], so each A tile is 1 KiB
  // contiguous (stride 64). Zero padding past K and past the valid rows.
  static std::size_t panel_bytes(const KernelArgs& a) { return 2 * a.k_chunks * 1024; }
  static void pack(const KernelArgs& a, const int8_t* rows, std::size_t rows_valid,
                   uint8_t* panel) {
    const std::size_t kc = a.k_chunks;
    for (std::size_t h = 0; h < 2; ++h) {
      for (std::size_t c = 0; c < kc; ++c) {
        uint8_t* dst = panel + (h * kc + c) * 1024;
        const std::size_t len = min_sz(64, a.k - c * 64);
        for (std::size_t r = 0; r < 16; ++r) {
          const std::size_t row = h * 16 + r;
          if (row < rows_valid) {
            std::memcpy(dst + r * 64, rows + row * a.lda + c * 64, len);
            if (len < 64) std::memset(dst + r * 64 + len, 0, 64 - len);
          } else {
            std::memset(dst + r * 64, 0, 64);
          }
        }
      }
    }
  }
  static void begin() {
    TileConfig cfg;
    std::memset(&cfg, 0, sizeof cfg);
    cfg.palette_id = 1;
    for (int t = 0; t < 8; ++t) {
      cfg.rows[t] = 16;
      cfg.colsb[t] = 64;
    }
    _tile_loadconfig(&cfg);
  }
  static void end() { _tile_release(); }

  template <int NB>
  static void ukernel(const KernelArgs& a, const uint8_t* panel, std::size_t block,
                      int32_t* tile) {
    static_assert(NB == 1 || NB == 2, "1 or 2 blocks");
    const std::size_t kc = a.k_chunks;
    const int8_t* w0 = a.w + block * a.w_block_stride;
    const uint8_t* a1 = panel + kc * 1024;
    _tile_zero(0);
    _tile_zero(2);
    if constexpr (NB == 2) {
      _tile_zero(1);
      _tile_zero(3);
    }
    for (std::size_t c = 0; c < kc; ++c) {
      _tile_loadd(4, panel + c * 1024, 64);
      _tile_loadd(5, a1 + c * 1024, 64);
      _tile_loadd(6, w0 + c * 1024, 64);
      _tile_dpbssd(0, 4, 6);
      _tile_dpbssd(2, 5, 6);
      if constexpr (NB == 2) {
        _tile_loadd(7, w0 + a.w_block_stride + c * 1024, 64);
        _tile_dpbssd(1, 4, 7);
        _tile_dpbssd(3, 5, 7);
      }
    }
    constexpr std::size_t ld = kNB * 16;  // tile leading dimension (int32)
    _tile_stored(0, tile, ld * 4);
    _tile_stored(2, tile + 16 * ld, ld * 4);
    if constexpr (NB == 2) {
      _tile_stored(1, tile + 16, ld * 4);
      _tile_stored(3, tile + 16 * ld + 16, ld * 4);
    }
  }
};

void gemm_range(const KernelArgs& a, std::size_t m0, std::size_t m1, std::size_t n0,
                std::size_t n1) {
  run_range<AmxKernel>(a, m0, m1, n0, n1);
}
float absmax(const float* x, std::size_t n) { return absmax_impl<VAvx512>(x, n); }
void quantize(const float* x, std::size_t n, float inv, int8_t* q) {
  quantize_impl<VAvx512>(x, n, inv, q);
}
void softmax_quantize(float* x, std::size_t n, float inv, int8_t* q) {
  softmax_quantize_impl<VAvx512>(x, n, inv, q);
}

}  // namespace

const KernelTable& amx_int8_kernels() {
  static const KernelTable table{Int8Isa::kAmxInt8, gemm_range, absmax, quantize,
                                 softmax_quantize};
  return table;
}

}  // namespace samp::int8::detail
