// 8-lane float/int32 vector traits over AVX2, for the epilogue and quantization templates of
// kernel-impl.h. Included only by translation units compiled with -mavx2 (AVX2, AVX-VNNI);
// internal linkage like everything the kernels share.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace samp::int8::detail {
namespace {

struct VAvx2 {
  using F = __m256;
  using I = __m256i;
  static constexpr std::size_t W = 8;
  static F loadf(const float* p) { return _mm256_loadu_ps(p); }
  static void storef(float* p, F v) { _mm256_storeu_ps(p, v); }
  static I loadi(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void storei(int32_t* p, I v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static I set1i(int32_t v) { return _mm256_set1_epi32(v); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F max_(F a, F b) { return _mm256_max_ps(a, b); }
  static F min_(F a, F b) { return _mm256_min_ps(a, b); }
  static F abs_(F a) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }
  static F rne(F a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static I to_int(F a) { return _mm256_cvttps_epi32(a); }  // a is integral: truncation is exact
  static F to_float(I a) { return _mm256_cvtepi32_ps(a); }
  static I subi(I a, I b) { return _mm256_sub_epi32(a, b); }
  static F pow2(I n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
  }
  static F select_ge0(F x, F a, F b) {
    return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
  }
  static F lookup8(const float* table, I i) {  // table[i], i in [0, 7]
    return _mm256_permutevar8x32_ps(_mm256_loadu_ps(table), i);
  }
  static void store_i8(int8_t* p, I v) {  // v in [-127, 127]
    const __m256i w16 = _mm256_packs_epi32(v, v);      // [v0..3 v0..3 | v4..7 v4..7]
    const __m256i b8 = _mm256_packs_epi16(w16, w16);   // bytes v0..3 (x4) | v4..7 (x4)
    const __m256i g = _mm256_permutevar8x32_epi32(b8, _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(g));
  }
  static float hmax(F a) {
    alignas(32) float t[8];
    _mm256_store_ps(t, a);
    float m = t[0];
    for (int i = 1; i < 8; ++i) m = t[i] > m ? t[i] : m;
    return m;
  }
  static bool any_nan(F a) { return _mm256_movemask_ps(_mm256_cmp_ps(a, a, _CMP_UNORD_Q)) != 0; }
};

}  // namespace
}  // namespace samp::int8::detail
