// 16-lane float/int32 vector traits over AVX-512F, for the epilogue and quantization templates of
// kernel-impl.h. Included only by translation units compiled with -mavx512f (AVX-512 VNNI,
// AMX-INT8); internal linkage like everything the kernels share.
#pragma once

#if defined(SAMP_INT8_EMULATE)  // test-only software model, see testing/isa-emulation.h
#define SAMP_INT8_EMULATE_AVX512 1
#include "testing/isa-emulation.h"
#else
#include <immintrin.h>
#endif

#include <cstddef>
#include <cstdint>

namespace samp::int8::detail {
namespace {

struct VAvx512 {
  using F = __m512;
  using I = __m512i;
  static constexpr std::size_t W = 16;
  static F loadf(const float* p) { return _mm512_loadu_ps(p); }
  static void storef(float* p, F v) { _mm512_storeu_ps(p, v); }
  static I loadi(const int32_t* p) { return _mm512_loadu_si512(p); }
  static void storei(int32_t* p, I v) { _mm512_storeu_si512(p, v); }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static I set1i(int32_t v) { return _mm512_set1_epi32(v); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F max_(F a, F b) { return _mm512_max_ps(a, b); }
  static F min_(F a, F b) { return _mm512_min_ps(a, b); }
  static F abs_(F a) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)));
  }
  static F rne(F a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static I to_int(F a) { return _mm512_cvttps_epi32(a); }  // a is integral: truncation is exact
  static F to_float(I a) { return _mm512_cvtepi32_ps(a); }
  static I subi(I a, I b) { return _mm512_sub_epi32(a, b); }
  static F pow2(I n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
  }
  static F select_ge0(F x, F a, F b) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), b, a);
  }
  static F lookup8(const float* table, I i) {  // table[i], i in [0, 7]; table has 16 floats
    return _mm512_permutexvar_ps(i, _mm512_loadu_ps(table));
  }
  static void store_i8(int8_t* p, I v) {  // v in [-127, 127]
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtsepi32_epi8(v));
  }
  static float hmax(F a) {
    alignas(64) float t[16];
    _mm512_store_ps(t, a);
    float m = t[0];
    for (int i = 1; i < 16; ++i) m = t[i] > m ? t[i] : m;
    return m;
  }
  static bool any_nan(F a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q) != 0; }
};

}  // namespace
}  // namespace samp::int8::detail
