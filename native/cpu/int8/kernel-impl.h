// Code shared by every kernel translation unit, written once over a vector-traits type V and
// compiled in each TU with that TU's ISA flags: the epilogue (dequantize / requantize / bias /
// activation), exp and GELU, activation quantization, and the blocked range driver.
//
// Determinism across ISAs: every float result is produced by the same sequence of correctly
// rounded IEEE operations (convert, +, -, ×, ÷, min/max with MAXPS operand order, round half
// to even, exponent-field construction) in every V, and the library is compiled with
// -ffp-contract=off so no multiply-add is fused in one TU and not another. Hence the scalar,
// AVX2 and AVX-512 epilogues agree bit for bit.
//
// Everything here has internal linkage (anonymous namespace) and no std:: templates: see
// NOTES.md, "ODR".
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels.h"
#include "scalar-math.h"

namespace samp::int8::detail {
namespace {

inline std::size_t min_sz(std::size_t a, std::size_t b) { return a < b ? a : b; }

// --- scalar vector traits (width 1) --------------------------------------------------------------
struct VScalar {
  using F = float;
  using I = int32_t;
  static constexpr std::size_t W = 1;
  static F loadf(const float* p) { return *p; }
  static void storef(float* p, F v) { *p = v; }
  static I loadi(const int32_t* p) { return *p; }
  static void storei(int32_t* p, I v) { *p = v; }
  static F set1(float v) { return v; }
  static I set1i(int32_t v) { return v; }
  static F add(F a, F b) { return a + b; }
  static F sub(F a, F b) { return a - b; }
  static F mul(F a, F b) { return a * b; }
  static F div(F a, F b) { return a / b; }
  static F max_(F a, F b) { return max_ps(a, b); }
  static F min_(F a, F b) { return min_ps(a, b); }
  static F abs_(F a) { return u2f(f2u(a) & 0x7fffffffu); }
  static F rne(F a) { return rne_scalar(a); }
  static I to_int(F a) { return static_cast<int32_t>(a); }  // a integral and in int range
  static F to_float(I a) { return static_cast<float>(a); }
  // int32 wrap-around subtraction, as VPSUBD does.
  static I subi(I a, I b) {
    return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
  }
  static F pow2(I n) { return u2f(static_cast<uint32_t>(n + 127) << 23); }
  static F select_ge0(F x, F a, F b) { return x >= 0.0f ? a : b; }
  static F lookup8(const float* table, I i) { return table[i]; }  // i in [0, 7]
  static void store_i8(int8_t* p, I v) { *p = static_cast<int8_t>(v); }
  static float hmax(F a) { return a; }
  static bool any_nan(F a) { return a != a; }
};

// --- exp and the activations ----------------------------------------------------------------------

/// e^x for x clamped to [-87, 88]: x = n·ln2 + r (Cody-Waite with ln2 split in two), |r| <=
/// ln2/2, e^r by its degree-7 Taylor polynomial (truncation < 6e-9 relative), times 2^n built in
/// the exponent field. Relative error a few ulp.
template <class V>
inline typename V::F vexp(typename V::F x) {
  using F = typename V::F;
  x = V::min_(V::max_(x, V::set1(-87.0f)), V::set1(88.0f));
  const F n = V::rne(V::mul(x, V::set1(1.44269504088896341f)));
  const F r = V::sub(V::sub(x, V::mul(n, V::set1(0.693145751953125f))),
                     V::mul(n, V::set1(1.42860682030941723e-6f)));
  F p = V::set1(1.0f / 5040.0f);
  p = V::add(V::mul(p, r), V::set1(1.0f / 720.0f));
  p = V::add(V::mul(p, r), V::set1(1.0f / 120.0f));
  p = V::add(V::mul(p, r), V::set1(1.0f / 24.0f));
  p = V::add(V::mul(p, r), V::set1(1.0f / 6.0f));
  p = V::add(V::mul(p, r), V::set1(0.5f));
  p = V::add(V::mul(p, r), V::set1(1.0f));
  p = V::add(V::mul(p, r), V::set1(1.0f));
  return V::mul(p, V::pow2(V::to_int(n)));
}

/// GELU(x) = x·Φ(x) = max(x, 0) − g(|x|) with g(t) = t·erfc(t/√2)/2, a smooth bump (0 at 0, at
/// most 0.17, below 1.1e-7 past t = 5.5). g on [0, 5.5) is a degree-6 polynomial per eighth of the
/// interval (least squares on Chebyshev nodes, coefficients picked by a table lookup), 0 beyond:
/// |error| < 7.5e-8·max(1, |x|) against fp64, no division and no exp, about half the cost of the
/// Abramowitz-Stegun erfc form this replaced (which took ~15% of an int8 FFN GEMM's time).
alignas(64) const float kGeluCoefficients[7][16] = {
    {2.24937384e-08f, 0.16904515f, 0.116277851f, 0.0403839126f, 0.00819435157f, 0.00100909674f, 7.64638389e-05f, 3.58656735e-06f,
     0, 0, 0, 0, 0, 0, 0, 0},
    {0.499996841f, 0.0293380059f, -0.128574088f, -0.0784996897f, -0.0220279526f, -0.00343255652f, -0.000313663681f, -1.72008422e-05f,
     0, 0, 0, 0, 0, 0, 0, 0},
    {-0.398870349f, -0.240498886f, -0.00852508936f, 0.0535874031f, 0.0253013205f, 0.00532095181f, 0.000604002329f, 3.93222326e-05f,
     0, 0, 0, 0, 0, 0, 0, 0},
    {-0.000607949449f, 0.126955464f, 0.0753496736f, -0.00411180919f, -0.0149352569f, -0.00486102514f, -0.000714679889f, -5.60127992e-05f,
     0, 0, 0, 0, 0, 0, 0, 0},
    {0.0688864961f, 0.0135859521f, -0.0382803567f, -0.0154279498f, 0.00349656423f, 0.00278552971f, 0.000559880747f, 5.29989593e-05f,
     0, 0, 0, 0, 0, 0, 0, 0},
    {-0.00461742934f, -0.0273223761f, 0.00223919912f, 0.00935809128f, 0.000857821375f, -0.000953482697f, -0.000277523854f, -3.12104457e-05f,
     0, 0, 0, 0, 0, 0, 0, 0},
    {-0.00622138707f, 0.00609027222f, 0.00239875726f, -0.00193150982f, -0.0005638437f, 0.000151637156f, 6.68859138e-05f, 8.64127287e-06f,
     0, 0, 0, 0, 0, 0, 0, 0},
};
constexpr float kGeluEnd = 5.5f;          // g = 0 from here on
constexpr float kGeluSegment = 0.6875f;   // kGeluEnd / 8, exact
constexpr float kGeluInvSegment = 1.45454550f;  // float(8 / kGeluEnd)

template <class V>
inline typename V::F gelu_erf(typename V::F x) {
  using F = typename V::F;
  const F t = V::abs_(x);
  const typename V::I idx =
      V::to_int(V::min_(V::mul(t, V::set1(kGeluInvSegment)), V::set1(7.0f)));  // floor, t >= 0
  const F u = V::sub(t, V::mul(V::to_float(idx), V::set1(kGeluSegment)));
  F p = V::lookup8(kGeluCoefficients[6], idx);
  for (int j = 5; j >= 0; --j) p = V::add(V::mul(p, u), V::lookup8(kGeluCoefficients[j], idx));
  const F g = V::select_ge0(V::sub(V::set1(kGeluEnd), t), p, V::set1(0.0f));
  return V::sub(V::max_(x, V::set1(0.0f)), g);
}

/// 0.5·x·(1 + tanh(u)) = x·σ(2u) = x / (1 + e^{-2u}), u = √(2/π)·(x + 0.044715·x³).
template <class V>
inline typename V::F gelu_tanh(typename V::F x) {
  using F = typename V::F;
  const F x3 = V::mul(V::mul(x, x), x);
  const F u = V::mul(V::set1(0.79788456080286536f), V::add(x, V::mul(V::set1(0.044715f), x3)));
  const F e = vexp<V>(V::mul(V::set1(-2.0f), u));
  return V::div(x, V::add(V::set1(1.0f), e));
}

template <class V, int ACT>
inline typename V::F activate(typename V::F y) {
  if constexpr (ACT == kActRelu) {
    return V::max_(y, V::set1(0.0f));
  } else if constexpr (ACT == kActGeluErf) {
    return gelu_erf<V>(y);
  } else if constexpr (ACT == kActGeluTanh) {
    return gelu_tanh<V>(y);
  } else {
    return y;
  }
}

/// int8 requantization of y: clamp(rne(y·inv), -127, 127) (clamped first, so the conversion
/// never overflows; a NaN becomes -127 through the MAXPS operand order).
template <class V>
inline typename V::I requantize(typename V::F y, typename V::F inv) {
  const typename V::F s = V::min_(V::max_(V::mul(y, inv), V::set1(-127.0f)), V::set1(127.0f));
  return V::to_int(V::rne(s));
}

// --- epilogue ---------------------------------------------------------------------------------

/// Writes C[m0 + r, n0 + c] for r < rows, c < cols from the int32 tile (leading dimension ldt, a
/// multiple of 16 >= cols). comp (nullable) is subtracted per column first (u8×s8 kernels); an
/// fp32 output gets the residual (if any) added last.
template <class V, int ACT>
void epilogue_act(const KernelArgs& a, const int32_t* tile, std::size_t ldt, const int32_t* comp,
                  std::size_t m0, std::size_t rows, std::size_t n0, std::size_t cols) {
  using F = typename V::F;
  using I = typename V::I;
  constexpr std::size_t W = V::W;
  const F inv = V::set1(a.inv_out_scale);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t m = m0 + r;
    const F sa = V::set1(a.a_row_scales != nullptr ? a.a_row_scales[m] : a.a_scale);
    for (std::size_t c = 0; c < cols; c += W) {
      const std::size_t n = n0 + c;
      const bool full = c + W <= cols;
      const std::size_t cnt = full ? W : cols - c;
      I acc = V::loadi(tile + r * ldt + c);
      if (comp != nullptr) acc = V::subi(acc, V::loadi(comp + c));
      if (a.out == kOutI32) {
        int32_t* dst = static_cast<int32_t*>(a.c) + m * a.ldc + n;
        if (full) {
          V::storei(dst, acc);
        } else {
          alignas(64) int32_t tmp[W];
          V::storei(tmp, acc);
          std::memcpy(dst, tmp, cnt * sizeof(int32_t));
        }
        continue;
      }
      const F s = V::mul(sa, V::loadf(a.w_scales + n));
      F y = V::mul(V::to_float(acc), s);
      if (a.bias != nullptr) {
        if (full) {
          y = V::add(y, V::loadf(a.bias + n));
        } else {
          alignas(64) float tb[W] = {};
          std::memcpy(tb, a.bias + n, cnt * sizeof(float));
          y = V::add(y, V::loadf(tb));
        }
      }
      y = activate<V, ACT>(y);
      if (a.out == kOutF32) {
        float* dst = static_cast<float*>(a.c) + m * a.ldc + n;
        if (a.residual != nullptr) {
          const float* res = a.residual + m * a.ldr + n;
          if (full) {
            y = V::add(y, V::loadf(res));
          } else {
            alignas(64) float tr[W] = {};
            std::memcpy(tr, res, cnt * sizeof(float));
            y = V::add(y, V::loadf(tr));
          }
        }
        if (full) {
          V::storef(dst, y);
        } else {
          alignas(64) float tmp[W];
          V::storef(tmp, y);
          std::memcpy(dst, tmp, cnt * sizeof(float));
        }
      } else {
        int8_t* dst = static_cast<int8_t*>(a.c) + m * a.ldc + n;
        const I q = requantize<V>(y, inv);
        if (full) {
          V::store_i8(dst, q);
        } else {
          alignas(64) int8_t tmp[W];
          V::store_i8(tmp, q);
          std::memcpy(dst, tmp, cnt);
        }
      }
    }
  }
}

template <class V>
void epilogue(const KernelArgs& a, const int32_t* tile, std::size_t ldt, const int32_t* comp,
              std::size_t m0, std::size_t rows, std::size_t n0, std::size_t cols) {
  switch (a.act) {
    case kActRelu:
      epilogue_act<V, kActRelu>(a, tile, ldt, comp, m0, rows, n0, cols);
      break;
    case kActGeluErf:
      epilogue_act<V, kActGeluErf>(a, tile, ldt, comp, m0, rows, n0, cols);
      break;
    case kActGeluTanh:
      epilogue_act<V, kActGeluTanh>(a, tile, ldt, comp, m0, rows, n0, cols);
      break;
    default:
      epilogue_act<V, kActNone>(a, tile, ldt, comp, m0, rows, n0, cols);
      break;
  }
}

// --- activation quantization ----------------------------------------------------------------------

template <class V>
void quantize_impl(const float* x, std::size_t n, float inv_scale, int8_t* q) {
  std::size_t i = 0;
  if constexpr (V::W > 1) {
    const typename V::F inv = V::set1(inv_scale);
    for (; i + V::W <= n; i += V::W) V::store_i8(q + i, requantize<V>(V::loadf(x + i), inv));
  }
  for (; i < n; ++i) VScalar::store_i8(q + i, requantize<VScalar>(x[i], inv_scale));
}

template <class V>
float absmax_impl(const float* x, std::size_t n) {
  std::size_t i = 0;
  float m = 0.0f;
  bool bad = false;
  if constexpr (V::W > 1) {
    typename V::F vm = V::set1(0.0f);
    typename V::F vz = V::set1(0.0f);  // Σ x·0: NaN as soon as one x is NaN or infinite
    for (; i + V::W <= n; i += V::W) {
      const typename V::F v = V::loadf(x + i);
      vm = V::max_(vm, V::abs_(v));
      vz = V::add(vz, V::mul(v, V::set1(0.0f)));
    }
    m = V::hmax(vm);
    bad = V::any_nan(vz);
  }
  for (; i < n; ++i) {
    const float v = x[i];
    m = max_ps(m, VScalar::abs_(v));
    bad = bad || (v * 0.0f != 0.0f);
  }
  return bad ? u2f(0x7fc00000u) : m;
}

// --- softmax to int8 ---------------------------------------------------------------------------

/// Lanes of the softmax sum: every ISA adds element j into lane j % 16, each lane in order of j,
/// then folds the 16 lanes with the same fixed tree, so the sum (and every probability) is
/// bit-identical across ISAs.
constexpr std::size_t kSumLanes = 16;

/// x[0..n) ← e_j = exp(x_j − max x); q_j = clamp(rne(e_j · ((1/Σe) · inv_scale)), 0, 127).
template <class V>
void softmax_quantize_impl(float* x, std::size_t n, float inv_scale, int8_t* q) {
  constexpr std::size_t W = V::W;
  static_assert(kSumLanes % W == 0, "the vector width must divide the sum lanes");
  constexpr std::size_t NV = kSumLanes / W;
  // Max (exact whatever the order).
  float m = x[0];
  std::size_t i = 0;
  if constexpr (W > 1) {
    typename V::F vm = V::set1(x[0]);
    for (; i + W <= n; i += W) vm = V::max_(V::loadf(x + i), vm);
    m = V::hmax(vm);
  }
  for (; i < n; ++i) m = max_ps(x[i], m);
  // Exponentials, summed per lane.
  alignas(64) float lanes[kSumLanes];
  const std::size_t full = n / kSumLanes * kSumLanes;
  {
    typename V::F acc[NV];
    for (std::size_t v = 0; v < NV; ++v) acc[v] = V::set1(0.0f);
    const typename V::F vmax = V::set1(m);
    for (i = 0; i < full; i += kSumLanes) {
      for (std::size_t v = 0; v < NV; ++v) {
        const typename V::F e = vexp<V>(V::sub(V::loadf(x + i + v * W), vmax));
        V::storef(x + i + v * W, e);
        acc[v] = V::add(acc[v], e);
      }
    }
    for (std::size_t v = 0; v < NV; ++v) V::storef(lanes + v * W, acc[v]);
  }
  for (i = full; i < n; ++i) {
    const float e = vexp<VScalar>(x[i] - m);
    x[i] = e;
    lanes[i - full] = lanes[i - full] + e;
  }
  for (std::size_t w = kSumLanes / 2; w >= 1; w /= 2) {
    for (std::size_t l = 0; l < w; ++l) lanes[l] = lanes[l] + lanes[l + w];
  }
  const float r = (1.0f / lanes[0]) * inv_scale;
  // Codes.
  i = 0;
  if constexpr (W > 1) {
    const typename V::F vr = V::set1(r);
    for (; i + W <= n; i += W) V::store_i8(q + i, requantize<V>(V::loadf(x + i), vr));
  }
  for (; i < n; ++i) VScalar::store_i8(q + i, requantize<VScalar>(x[i], r));
}

// --- the blocked range driver ---------------------------------------------------------------------
//
// K (the micro-kernel traits of one ISA) provides:
//   using V;                         vector traits for the epilogue
//   kMR, kNB, kMC                    rows per micro-kernel, max 16-column blocks per micro-kernel
//                                    (1 or 2), rows per packed A chunk (multiple of kMR)
//   kCompensate                      the kernel accumulates (a+128)·w: subtract comp
//   panel_bytes(a)                   bytes of one packed row block of A
//   pack(a, rows_ptr, rows_valid, panel)   pack kMR rows (zero/neutral padding past rows_valid)
//   begin() / end()                  around the compute loops (AMX tile configuration)
//   ukernel<NB>(a, panel, block, tile)     int32 tile [kMR][kNB·16] for blocks block..block+NB-1
//
// Loop order per chunk of kMC rows: pack the chunk once, then for each group of kNB column blocks
// (its weights stay in L1/L2) run every row block of the chunk and its epilogue.
template <class K>
void run_range(const KernelArgs& a, std::size_t m0, std::size_t m1, std::size_t n0,
               std::size_t n1) {
  if (m0 >= m1 || n0 >= n1) return;
  constexpr std::size_t MR = K::kMR;
  constexpr std::size_t LDT = K::kNB * 16;
  const std::size_t pb = K::panel_bytes(a);
  const std::size_t b0 = n0 / 16;
  const std::size_t b1 = (n1 + 15) / 16;
  const std::size_t max_rbs = (min_sz(K::kMC, m1 - m0) + MR - 1) / MR;
  uint8_t* panel = thread_scratch(max_rbs * pb);
  alignas(64) int32_t tile[MR * LDT];
  K::begin();
  for (std::size_t mc = m0; mc < m1; mc += K::kMC) {
    const std::size_t rows = min_sz(K::kMC, m1 - mc);
    const std::size_t rbs = (rows + MR - 1) / MR;
    for (std::size_t rb = 0; rb < rbs; ++rb) {
      K::pack(a, a.a + (mc + rb * MR) * a.lda, min_sz(MR, rows - rb * MR), panel + rb * pb);
    }
    for (std::size_t b = b0; b < b1; b += K::kNB) {
      const std::size_t nb = min_sz(K::kNB, b1 - b);
      const std::size_t col0 = b * 16;
      const std::size_t cols = min_sz(nb * 16, n1 - col0);
      for (std::size_t rb = 0; rb < rbs; ++rb) {
        if (nb == K::kNB) {
          K::template ukernel<K::kNB>(a, panel + rb * pb, b, tile);
        } else {
          K::template ukernel<1>(a, panel + rb * pb, b, tile);
        }
        epilogue<typename K::V>(a, tile, LDT, K::kCompensate ? a.comp + col0 : nullptr,
                                mc + rb * MR, min_sz(MR, rows - rb * MR), col0, cols);
      }
    }
  }
  K::end();
}

/// Packs up to MR rows of A as groups of 4 bytes, [group][row][4]: what a broadcast-based
/// kernel reads (one 32-bit broadcast per row and group). `flip` = 0x80 gives the u8 form
/// a+128 of the u8×s8 kernels, 0 keeps s8. Padding (k >= K, rows >= rows_valid) holds the
/// value 0 (0x80 in u8 form); it meets zero weights or is discarded.
template <std::size_t MR>
void pack_groups_u8(const KernelArgs& a, const int8_t* rows_ptr, std::size_t rows_valid,
                    uint8_t flip, uint8_t* panel) {
  const std::size_t kg = a.k_groups;
  const std::size_t full = a.k / 4;
  const uint32_t flip4 = 0x01010101u * flip;
  for (std::size_t r = 0; r < MR; ++r) {
    uint8_t* dst = panel + r * 4;
    if (r >= rows_valid) {
      for (std::size_t g = 0; g < kg; ++g) std::memcpy(dst + g * MR * 4, &flip4, 4);
      continue;
    }
    const int8_t* src = rows_ptr + r * a.lda;
    for (std::size_t g = 0; g < full; ++g) {
      uint32_t v;
      std::memcpy(&v, src + g * 4, 4);
      v ^= flip4;
      std::memcpy(dst + g * MR * 4, &v, 4);
    }
    if (full < kg) {
      uint8_t t[4] = {flip, flip, flip, flip};
      for (std::size_t i = 0; i < a.k - full * 4; ++i) {
        t[i] = static_cast<uint8_t>(static_cast<uint8_t>(src[full * 4 + i]) ^ flip);
      }
      std::memcpy(dst + full * MR * 4, t, 4);
    }
  }
}

}  // namespace
}  // namespace samp::int8::detail
