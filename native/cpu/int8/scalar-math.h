// Scalar float helpers shared by the baseline code and every kernel translation unit. Everything
// is in an anonymous namespace (internal linkage) and uses no std:: inline functions, so each
// translation unit gets its own copy compiled with its own flags: the linker can never hand the
// scalar code a copy compiled for AVX-512 (see NOTES.md, "ODR").
#pragma once

#include <cstdint>
#include <cstring>

namespace samp::int8::detail {
namespace {

inline uint32_t f2u(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
inline float u2f(uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

/// Round half to even with plain IEEE operations, whatever the FP rounding mode; the sign of a
/// zero result follows x (as ROUNDPS / VRNDSCALEPS with imm 0 do). NaN/inf/|x| >= 2^23 unchanged.
inline float rne_scalar(float x) {
  const float ax = u2f(f2u(x) & 0x7fffffffu);
  if (!(ax < 8388608.0f)) return x;
  const float t = static_cast<float>(static_cast<int32_t>(x));  // truncation, exact here
  const float fl = t > x ? t - 1.0f : t;                         // floor(x)
  const float d = x - fl;                                        // exact, in [0, 1)
  float r;
  if (d > 0.5f) {
    r = fl + 1.0f;
  } else if (d < 0.5f) {
    r = fl;
  } else {
    r = (static_cast<int32_t>(fl) & 1) != 0 ? fl + 1.0f : fl;
  }
  if (r == 0.0f) r = u2f(f2u(x) & 0x80000000u);
  return r;
}

/// max/min with the operand order of MAXPS/MINPS: (a > b ? a : b), so a NaN in `a` yields b.
inline float max_ps(float a, float b) { return a > b ? a : b; }
inline float min_ps(float a, float b) { return a < b ? a : b; }

}  // namespace
}  // namespace samp::int8::detail
