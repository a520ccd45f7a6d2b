// TEST-ONLY software model of the AVX-512 / AVX-512 VNNI / AMX-INT8 intrinsics (and of AVX-VNNI's
// VPDPBUSD) that the int8 kernels use, so their blocking, packing and epilogue code can be run on
// a CPU without those instructions (the int8_gemm_emulated test, CI). It models the documented
// semantics lane by lane in plain C++; it does NOT prove the hardware agrees — the real kernels
// are checked against the scalar reference on a CPU that has them (int8_gemm test).
//
// With SAMP_INT8_EMULATE_AVX512 it replaces <immintrin.h> (kernel-avx512-vnni.cc, kernel-amx.cc,
// vec-avx512.h, then compiled for the baseline ISA); with SAMP_INT8_EMULATE_AVX_VNNI it adds
// emu_mm256_dpbusd_avx_epi32 on top of the real AVX2 intrinsics (kernel-avx-vnni.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../scalar-math.h"

#if defined(SAMP_INT8_EMULATE_AVX512)
// --- AVX-512 model (translation units compiled without AVX-512, <immintrin.h> not included) ----
#define _MM_FROUND_TO_NEAREST_INT 0x00
#define _MM_FROUND_NO_EXC 0x08
#define _CMP_UNORD_Q 0x03
#define _CMP_GE_OQ 0x1d

struct __m512 { float f[16]; };
struct __m512i { int32_t i[16]; };
struct __m128i { int8_t b[16]; };
typedef uint16_t __mmask16;

namespace {
using samp::int8::detail::max_ps;
using samp::int8::detail::min_ps;
using samp::int8::detail::rne_scalar;

#define SAMP_EMU_F(expr)           \
  __m512 r;                        \
  for (int l = 0; l < 16; ++l) { r.f[l] = (expr); } \
  return r
#define SAMP_EMU_I(expr)           \
  __m512i r;                       \
  for (int l = 0; l < 16; ++l) { r.i[l] = (expr); } \
  return r

inline __m512 _mm512_loadu_ps(const float* p) { __m512 r; std::memcpy(r.f, p, 64); return r; }
inline void _mm512_storeu_ps(float* p, __m512 v) { std::memcpy(p, v.f, 64); }
inline void _mm512_store_ps(float* p, __m512 v) { std::memcpy(p, v.f, 64); }
inline __m512i _mm512_loadu_si512(const void* p) { __m512i r; std::memcpy(r.i, p, 64); return r; }
inline void _mm512_storeu_si512(void* p, __m512i v) { std::memcpy(p, v.i, 64); }
inline __m512 _mm512_set1_ps(float v) { SAMP_EMU_F(v); }
inline __m512i _mm512_set1_epi32(int32_t v) { SAMP_EMU_I(v); }
inline __m512 _mm512_setzero_ps() { SAMP_EMU_F(0.0f); }
inline __m512i _mm512_setzero_si512() { SAMP_EMU_I(0); }
inline __m512 _mm512_add_ps(__m512 a, __m512 b) { SAMP_EMU_F(a.f[l] + b.f[l]); }
inline __m512 _mm512_sub_ps(__m512 a, __m512 b) { SAMP_EMU_F(a.f[l] - b.f[l]); }
inline __m512 _mm512_mul_ps(__m512 a, __m512 b) { SAMP_EMU_F(a.f[l] * b.f[l]); }
inline __m512 _mm512_div_ps(__m512 a, __m512 b) { SAMP_EMU_F(a.f[l] / b.f[l]); }
inline __m512 _mm512_max_ps(__m512 a, __m512 b) { SAMP_EMU_F(max_ps(a.f[l], b.f[l])); }
inline __m512 _mm512_min_ps(__m512 a, __m512 b) { SAMP_EMU_F(min_ps(a.f[l], b.f[l])); }
inline __m512 _mm512_castsi512_ps(__m512i a) { __m512 r; std::memcpy(r.f, a.i, 64); return r; }
inline __m512i _mm512_castps_si512(__m512 a) { __m512i r; std::memcpy(r.i, a.f, 64); return r; }
inline __m512i _mm512_and_si512(__m512i a, __m512i b) { SAMP_EMU_I(a.i[l] & b.i[l]); }
inline __m512 _mm512_roundscale_ps(__m512 a, int imm) {
  (void)imm;  // the kernels only use round-to-nearest-even, no exceptions
  SAMP_EMU_F(rne_scalar(a.f[l]));
}
inline __m512i _mm512_cvttps_epi32(__m512 a) { SAMP_EMU_I(static_cast<int32_t>(a.f[l])); }
inline __m512 _mm512_cvtepi32_ps(__m512i a) { SAMP_EMU_F(static_cast<float>(a.i[l])); }
inline __m512i _mm512_add_epi32(__m512i a, __m512i b) {
  SAMP_EMU_I(static_cast<int32_t>(static_cast<uint32_t>(a.i[l]) + static_cast<uint32_t>(b.i[l])));
}
inline __m512i _mm512_sub_epi32(__m512i a, __m512i b) {
  SAMP_EMU_I(static_cast<int32_t>(static_cast<uint32_t>(a.i[l]) - static_cast<uint32_t>(b.i[l])));
}
inline __m512i _mm512_slli_epi32(__m512i a, int n) {
  SAMP_EMU_I(static_cast<int32_t>(static_cast<uint32_t>(a.i[l]) << n));
}
inline __mmask16 _mm512_cmp_ps_mask(__m512 a, __m512 b, int pred) {
  __mmask16 m = 0;
  for (int l = 0; l < 16; ++l) {
    bool bit = false;
    if (pred == _CMP_GE_OQ) bit = a.f[l] >= b.f[l];
    else if (pred == _CMP_UNORD_Q) bit = a.f[l] != a.f[l] || b.f[l] != b.f[l];
    if (bit) m = static_cast<__mmask16>(m | (1u << l));
  }
  return m;
}
inline __m512 _mm512_permutexvar_ps(__m512i idx, __m512 a) { SAMP_EMU_F(a.f[idx.i[l] & 15]); }
inline __m512 _mm512_mask_blend_ps(__mmask16 k, __m512 a, __m512 b) {
  SAMP_EMU_F(((k >> l) & 1) ? b.f[l] : a.f[l]);
}
inline __m128i _mm512_cvtsepi32_epi8(__m512i a) {
  __m128i r;
  for (int l = 0; l < 16; ++l) {
    const int32_t v = a.i[l];
    r.b[l] = static_cast<int8_t>(v > 127 ? 127 : (v < -128 ? -128 : v));
  }
  return r;
}
inline void _mm_storeu_si128(__m128i* p, __m128i v) { std::memcpy(p, v.b, 16); }
/// VPDPBUSD: per int32 lane, src + Σ_{i<4} u8(a byte i) · s8(b byte i), wrapping.
inline __m512i _mm512_dpbusd_epi32(__m512i src, __m512i a, __m512i b) {
  __m512i r;
  for (int l = 0; l < 16; ++l) {
    uint8_t ab[4];
    int8_t bb[4];
    std::memcpy(ab, &a.i[l], 4);
    std::memcpy(bb, &b.i[l], 4);
    uint32_t s = static_cast<uint32_t>(src.i[l]);
    for (int i = 0; i < 4; ++i) s += static_cast<uint32_t>(int32_t{ab[i]} * int32_t{bb[i]});
    r.i[l] = static_cast<int32_t>(s);
  }
  return r;
}

// --- AMX model: 8 tiles of up to 16 rows × 64 bytes, configured by LDTILECFG ---------------------
struct EmuTiles {
  bool configured = false;
  uint16_t colsb[8] = {};
  uint8_t rows[8] = {};
  uint8_t data[8][16][64] = {};
};
thread_local EmuTiles emu_tiles;

inline void emu_tile_check(int t) {
  if (!emu_tiles.configured || t < 0 || t > 7) __builtin_trap();  // a kernel bug, in a test
}
inline void _tile_loadconfig(const void* cfg) {
  const auto* c = static_cast<const uint8_t*>(cfg);
  if (c[0] != 1) __builtin_trap();  // palette 1 only
  for (int t = 0; t < 8; ++t) {
    std::memcpy(&emu_tiles.colsb[t], c + 16 + 2 * t, 2);
    emu_tiles.rows[t] = c[48 + t];
    if (emu_tiles.colsb[t] > 64 || emu_tiles.rows[t] > 16) __builtin_trap();
  }
  emu_tiles.configured = true;
}
inline void _tile_release() { emu_tiles = EmuTiles{}; }
inline void _tile_zero(int t) {
  emu_tile_check(t);
  std::memset(emu_tiles.data[t], 0, sizeof emu_tiles.data[t]);
}
inline void _tile_loadd(int t, const void* base, std::size_t stride) {
  emu_tile_check(t);
  for (int r = 0; r < emu_tiles.rows[t]; ++r) {
    std::memcpy(emu_tiles.data[t][r], static_cast<const uint8_t*>(base) + r * stride, emu_tiles.colsb[t]);
  }
}
inline void _tile_stored(int t, void* base, std::size_t stride) {
  emu_tile_check(t);
  for (int r = 0; r < emu_tiles.rows[t]; ++r) {
    std::memcpy(static_cast<uint8_t*>(base) + r * stride, emu_tiles.data[t][r], emu_tiles.colsb[t]);
  }
}
/// TDPBSSD: C[m][n] += Σ_{k < colsb(a)/4} Σ_{i<4} s8 A[m][4k+i] · s8 B[k][4n+i] (int32 C).
inline void _tile_dpbssd(int c, int a, int b) {
  emu_tile_check(c);
  emu_tile_check(a);
  emu_tile_check(b);
  const int m_rows = emu_tiles.rows[c];
  const int n_cols = emu_tiles.colsb[c] / 4;
  const int k_groups = emu_tiles.colsb[a] / 4;
  if (emu_tiles.rows[a] != m_rows || emu_tiles.rows[b] != k_groups || emu_tiles.colsb[b] != emu_tiles.colsb[c]) {
    __builtin_trap();  // shapes the hardware would reject (#UD)
  }
  for (int m = 0; m < m_rows; ++m) {
    for (int n = 0; n < n_cols; ++n) {
      int32_t acc;
      std::memcpy(&acc, &emu_tiles.data[c][m][4 * n], 4);
      uint32_t s = static_cast<uint32_t>(acc);
      for (int k = 0; k < k_groups; ++k) {
        for (int i = 0; i < 4; ++i) {
          const int8_t av = static_cast<int8_t>(emu_tiles.data[a][m][4 * k + i]);
          const int8_t bv = static_cast<int8_t>(emu_tiles.data[b][k][4 * n + i]);
          s += static_cast<uint32_t>(int32_t{av} * int32_t{bv});
        }
      }
      acc = static_cast<int32_t>(s);
      std::memcpy(&emu_tiles.data[c][m][4 * n], &acc, 4);
    }
  }
}
#undef SAMP_EMU_F
#undef SAMP_EMU_I
}  // namespace

#elif defined(SAMP_INT8_EMULATE_AVX_VNNI)
// --- AVX-VNNI model on top of real AVX2 ----------------------------------------------------------
namespace {
/// VEX VPDPBUSD on ymm: per int32 lane, src + Σ_{i<4} u8(a byte i) · s8(b byte i), wrapping.
inline __m256i emu_mm256_dpbusd_avx_epi32(__m256i src, __m256i a, __m256i b) {
  alignas(32) int32_t s[8];
  alignas(32) uint8_t ab[32];
  alignas(32) int8_t bb[32];
  _mm256_store_si256(reinterpret_cast<__m256i*>(s), src);
  _mm256_store_si256(reinterpret_cast<__m256i*>(ab), a);
  _mm256_store_si256(reinterpret_cast<__m256i*>(bb), b);
  for (int l = 0; l < 8; ++l) {
    uint32_t acc = static_cast<uint32_t>(s[l]);
    for (int i = 0; i < 4; ++i) acc += static_cast<uint32_t>(int32_t{ab[4 * l + i]} * int32_t{bb[4 * l + i]});
    s[l] = static_cast<int32_t>(acc);
  }
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(s));
}
}  // namespace
#endif
