// INT8 GEMM kernels (native/cpu/int8): quantization helpers, weight packing, and every ISA this
// CPU can run against an independent int64 reference (int32 accumulators bit-identical) and
// against the scalar kernel (float and int8 epilogues bit-identical); the full
// quantize → GEMM → dequantize pipeline against an fp64 GEMM within the quantization error bound.
// ISAs this CPU (or this build) cannot run are printed as such, never counted as passed.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "common/error.h"
#include "int8-gemm.h"

namespace {

using samp::Int8Isa;
using namespace samp::int8;

constexpr Int8Isa kAllIsas[] = {Int8Isa::kScalar, Int8Isa::kAvx2, Int8Isa::kAvxVnni,
                                Int8Isa::kAvx512Vnni, Int8Isa::kAmxInt8};

std::vector<Int8Isa> runnable_isas() {
  std::vector<Int8Isa> out;
  for (Int8Isa isa : kAllIsas) {
    if (isa_runnable(isa)) out.push_back(isa);
  }
  return out;
}

/// Runs fn and reports whether it threw samp::Error with `code`.
bool throws_code(const std::function<void()>& fn, const std::string& code) {
  try {
    fn();
  } catch (const samp::Error& e) {
    if (e.code() != code) std::fprintf(stderr, "  threw %s: %s\n", e.code().c_str(), e.what());
    return e.code() == code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "  threw a non-samp exception: %s\n", e.what());
    return false;
  }
  return false;
}
constexpr const char* kInvalid = "SAMP_INVALID_ARGUMENT";
constexpr const char* kUnsupported = "SAMP_UNSUPPORTED_CPU";

std::vector<int8_t> random_i8(std::mt19937& rng, std::size_t n, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

/// A parallel_for that really runs tasks concurrently on `threads` std::threads.
ParallelFor thread_parallel_for(std::size_t threads) {
  return [threads](std::size_t tasks, const std::function<void(std::size_t)>& body) {
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (std::size_t i = next++; i < tasks; i = next++) body(i);
      });
    }
    for (auto& th : pool) th.join();
  };
}

// --- rounding and activation quantization -----------------------------------------------------

void test_round_half_even() {
  const float cases[][2] = {{0.5f, 0.0f},    {1.5f, 2.0f},   {2.5f, 2.0f},   {-0.5f, -0.0f},
                            {-1.5f, -2.0f},  {-2.5f, -2.0f}, {0.49999997f, 0.0f},
                            {126.5f, 126.0f}, {127.5f, 128.0f}, {-3.7f, -4.0f}, {3.2f, 3.0f},
                            {8388607.5f, 8388608.0f}, {1e10f, 1e10f}, {0.0f, 0.0f}};
  for (const auto& c : cases) {
    const float r = round_half_even(c[0]);
    SAMP_CHECK_MSG(r == c[1] && std::signbit(r) == std::signbit(c[1]),
                   "round_half_even(" << c[0] << ") = " << r << ", expected " << c[1]);
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-300.0f, 300.0f);
  int bad = 0;
  for (int i = 0; i < 20000; ++i) {
    float x = d(rng);
    if (i % 4 == 0) x = std::floor(x) + 0.5f;  // exact ties
    if (round_half_even(x) != std::nearbyint(x)) ++bad;  // default mode: to nearest even
  }
  SAMP_CHECK_MSG(bad == 0, bad << " values round differently from nearbyint");
}

/// The quantizer's definition, written independently: q = clamp(nearbyint(x · (1/s))).
int8_t expected_q(float x, float inv) {
  const float y = x * inv;
  if (!(y > -127.0f)) return -127;
  if (y > 127.0f) return 127;
  return static_cast<int8_t>(std::nearbyint(y));
}

void test_quantize(const std::vector<Int8Isa>& isas) {
  std::mt19937 rng(11);
  for (std::size_t n : {1u, 7u, 8u, 15u, 16u, 17u, 33u, 1000u, 4099u}) {
    const float scale = 0.0371f;
    const float inv = 1.0f / scale;
    std::vector<float> x(n);
    std::uniform_real_distribution<float> d(-6.0f, 6.0f);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = d(rng);
      if (i % 5 == 1) x[i] = (static_cast<float>(static_cast<int>(i % 250) - 125) + 0.5f) / inv;
      if (i % 13 == 3) x[i] = (i % 2 ? 1.0f : -1.0f) * 1e6f;  // saturates
    }
    std::vector<int8_t> want(n);
    for (std::size_t i = 0; i < n; ++i) want[i] = expected_q(x[i], inv);
    for (Int8Isa isa : isas) {
      std::vector<int8_t> q(n, 99);
      quantize(x.data(), n, scale, q.data(), isa);
      SAMP_CHECK_MSG(q == want, "quantize, " << samp::int8_isa_name(isa) << ", n=" << n);
      SAMP_CHECK(std::find(q.begin(), q.end(), int8_t{-128}) == q.end());
    }
  }

  // Dynamic: scale = max|x| / 127, the largest magnitude maps to ±127; identical on every ISA.
  std::vector<float> x(1001);
  std::normal_distribution<float> nd(0.0f, 2.0f);
  for (auto& v : x) v = nd(rng);
  x[500] = -9.25f;
  for (Int8Isa isa : isas) {
    std::vector<int8_t> q(x.size());
    const float s = quantize_dynamic(x.data(), x.size(), q.data(), isa);
    SAMP_CHECK_MSG(s == 9.25f / 127.0f, samp::int8_isa_name(isa) << ": dynamic scale " << s);
    SAMP_CHECK(q[500] == -127);
    std::vector<int8_t> q2(x.size());
    quantize(x.data(), x.size(), s, q2.data(), Int8Isa::kScalar);
    SAMP_CHECK(q == q2);
    SAMP_CHECK(absmax(x.data(), x.size(), isa) == 9.25f);
  }
  // All zeros: scale 1, zeros out.
  std::vector<float> zeros(37, 0.0f);
  std::vector<int8_t> qz(37, 5);
  SAMP_CHECK(quantize_dynamic(zeros.data(), zeros.size(), qz.data()) == 1.0f);
  SAMP_CHECK(std::all_of(qz.begin(), qz.end(), [](int8_t v) { return v == 0; }));
  // Non-finite activations are an error, at any position and on every ISA (lane or tail).
  for (Int8Isa isa : isas) {
    for (std::size_t pos : {0u, 5u, 16u, 36u}) {
      for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                        -std::numeric_limits<float>::infinity()}) {
        std::vector<float> y(37, 1.0f);
        y[pos] = bad;
        SAMP_CHECK_MSG(throws_code([&] { quantize_dynamic(y.data(), y.size(), qz.data(), isa); }, kInvalid),
                       samp::int8_isa_name(isa) << ": non-finite at " << pos << " not rejected");
      }
    }
  }
  SAMP_CHECK(throws_code([&] { quantize(x.data(), x.size(), 0.0f, qz.data()); }, kInvalid));
  SAMP_CHECK(throws_code([&] { quantize(x.data(), x.size(), -1.0f, qz.data()); }, kInvalid));
  SAMP_CHECK(throws_code([&] { quantize(x.data(), x.size(), 1e-40f, qz.data()); }, kInvalid));

  // Per-row dynamic quantization.
  const std::size_t rows = 5, cols = 19, ldx = 23, ldq = 21;
  std::vector<float> m(rows * ldx);
  for (auto& v : m) v = nd(rng);
  std::vector<int8_t> qm(rows * ldq, 0);
  std::vector<float> rs(rows);
  quantize_rows_dynamic(m.data(), rows, cols, ldx, qm.data(), ldq, rs.data());
  for (std::size_t r = 0; r < rows; ++r) {
    float amax = 0.0f;
    for (std::size_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(m[r * ldx + c]));
    SAMP_CHECK(rs[r] == amax / 127.0f);
    for (std::size_t c = 0; c < cols; ++c) {
      SAMP_CHECK(qm[r * ldq + c] == expected_q(m[r * ldx + c], 1.0f / rs[r]));
    }
  }
}

// --- weights ----------------------------------------------------------------------------------

void test_weights() {
  std::mt19937 rng(3);
  const std::size_t n = 37, k = 70, ldw = 75;
  std::vector<float> w(n * ldw);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  for (auto& v : w) v = nd(rng);
  for (std::size_t j = 0; j < k; ++j) w[5 * ldw + j] = 0.0f;  // an all-zero channel
  const QuantizedWeights qw = quantize_weights(w.data(), n, k, ldw);
  SAMP_CHECK(qw.q.size() == n * k && qw.scales.size() == n);
  for (std::size_t i = 0; i < n; ++i) {
    float amax = 0.0f;
    for (std::size_t j = 0; j < k; ++j) amax = std::max(amax, std::fabs(w[i * ldw + j]));
    SAMP_CHECK(qw.scales[i] == (amax == 0.0f ? 1.0f : amax / 127.0f));
    bool has_extreme = amax == 0.0f;
    for (std::size_t j = 0; j < k; ++j) {
      const int q = qw.q[i * k + j];
      SAMP_CHECK(q >= -127 && q <= 127);
      has_extreme = has_extreme || q == 127 || q == -127;
      SAMP_CHECK(std::fabs(w[i * ldw + j] - q * qw.scales[i]) <= 0.5f * qw.scales[i] * 1.0001f);
    }
    SAMP_CHECK_MSG(has_extreme, "channel " << i << " never reaches ±127");
  }
  // Given scales are used as given (values beyond saturate).
  std::vector<float> given(n, 0.001f);
  const QuantizedWeights qg = quantize_weights(w.data(), n, k, ldw, given.data());
  for (std::size_t i = 0; i < n; ++i) SAMP_CHECK(qg.scales[i] == 0.001f);
  for (std::size_t i = 0; i < n * k; ++i) {
    SAMP_CHECK(qg.q[i] == expected_q(w[(i / k) * ldw + i % k], 1.0f / 0.001f));
  }
  given[3] = 0.0f;
  SAMP_CHECK(throws_code([&] { quantize_weights(w.data(), n, k, ldw, given.data()); }, kInvalid));
  given[3] = std::numeric_limits<float>::quiet_NaN();
  SAMP_CHECK(throws_code([&] { quantize_weights(w.data(), n, k, ldw, given.data()); }, kInvalid));
  w[7] = std::numeric_limits<float>::infinity();
  SAMP_CHECK(throws_code([&] { quantize_weights(w.data(), n, k, ldw); }, kInvalid));

  // Packing: every value read back, the compensation term, the zero padding.
  const PackedWeights p = PackedWeights::pack(qw);
  SAMP_CHECK(p.n() == n && p.k() == k && p.k_padded() == 128 && p.blocks() == 3);
  SAMP_CHECK(reinterpret_cast<std::uintptr_t>(p.data()) % 64 == 0);
  bool same = true;
  for (std::size_t i = 0; i < n; ++i) {
    int32_t sum = 0;
    for (std::size_t j = 0; j < k; ++j) {
      same = same && p.at(i, j) == qw.q[i * k + j];
      sum += qw.q[i * k + j];
    }
    SAMP_CHECK(p.compensation()[i] == 128 * sum);
    SAMP_CHECK(p.scales()[i] == qw.scales[i]);
  }
  SAMP_CHECK(same);
  for (std::size_t i = n; i < p.blocks() * kBlockN; ++i) {
    SAMP_CHECK(p.compensation()[i] == 0 && p.scales()[i] == 0.0f);
  }
  std::size_t nonzero_pad = 0;
  for (std::size_t b = 0; b < p.blocks(); ++b) {
    for (std::size_t kk = 0; kk < p.k_padded(); ++kk) {
      for (std::size_t c = 0; c < kBlockN; ++c) {
        if (b * kBlockN + c < n && kk < k) continue;
        nonzero_pad += p.data()[b * p.block_stride() + (kk / 4) * 64 + c * 4 + kk % 4] != 0;
      }
    }
  }
  SAMP_CHECK_MSG(nonzero_pad == 0, nonzero_pad << " padding bytes are not zero");
  SAMP_CHECK(throws_code([&] { (void)p.at(n, 0); }, kInvalid));

  std::vector<int8_t> big(kMaxK + 1, 1);
  float one = 1.0f;
  SAMP_CHECK(throws_code([&] { PackedWeights::pack(big.data(), 1, kMaxK + 1, kMaxK + 1, &one); }, kInvalid));
  SAMP_CHECK(throws_code([&] { PackedWeights::pack(big.data(), 1, 0, 1, &one); }, kInvalid));
  SAMP_CHECK(throws_code([&] { PackedWeights::pack(big.data(), 2, 4, 3, &one); }, kInvalid));
  float zero = 0.0f;
  SAMP_CHECK(throws_code([&] { PackedWeights::pack(big.data(), 1, 4, 4, &zero); }, kInvalid));
}

// --- GEMM exactness -------------------------------------------------------------------------------

struct Problem {
  std::size_t m, n, k, lda, ldc;
  std::vector<int8_t> a;   // [m, lda]
  std::vector<int8_t> w;   // [n, k]
  std::vector<float> ws;   // [n]
  PackedWeights packed;
  std::vector<int64_t> ref;  // [m, n] exact Σ a·w in int64
};

enum class Values { kUniform, kSymmetric, kExtremeSame, kExtremeOpposite, kSparse };
const char* values_name(Values v) {
  switch (v) {
    case Values::kUniform: return "uniform[-128,127]";
    case Values::kSymmetric: return "uniform[-127,127]";
    case Values::kExtremeSame: return "all ±127/-128 same sign";
    case Values::kExtremeOpposite: return "a=127, w=-128";
    case Values::kSparse: return "sparse";
  }
  return "?";
}

Problem make_problem(std::mt19937& rng, std::size_t m, std::size_t n, std::size_t k, Values v) {
  Problem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.lda = k + (rng() % 3) * 5;
  p.ldc = n + (rng() % 3) * 3;
  switch (v) {
    case Values::kUniform:
      p.a = random_i8(rng, m * p.lda, -128, 127);
      p.w = random_i8(rng, n * k, -128, 127);
      break;
    case Values::kSymmetric:
      p.a = random_i8(rng, m * p.lda, -127, 127);
      p.w = random_i8(rng, n * k, -127, 127);
      break;
    case Values::kExtremeSame:
      p.a.assign(m * p.lda, -128);
      p.w.assign(n * k, -128);
      for (std::size_t i = 0; i < p.a.size(); i += 3) p.a[i] = 127;  // mixes in ±127
      break;
    case Values::kExtremeOpposite:
      p.a.assign(m * p.lda, 127);
      p.w.assign(n * k, -128);
      break;
    case Values::kSparse: {
      p.a = random_i8(rng, m * p.lda, -127, 127);
      p.w = random_i8(rng, n * k, -127, 127);
      for (std::size_t i = 0; i < p.a.size(); ++i) {
        if (rng() % 4 != 0) p.a[i] = 0;
      }
      break;
    }
  }
  std::uniform_real_distribution<float> sd(0.001f, 0.05f);
  p.ws.resize(n);
  for (auto& s : p.ws) s = sd(rng);
  p.packed = PackedWeights::pack(p.w.data(), n, k, k, p.ws.data());
  p.ref.assign(m * n, 0);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      int64_t s = 0;
      for (std::size_t kk = 0; kk < k; ++kk) s += int64_t{p.a[i * p.lda + kk]} * p.w[j * k + kk];
      p.ref[i * n + j] = s;
    }
  }
  return p;
}

GemmParams params_for(const Problem& p, Output out, void* c) {
  GemmParams g;
  g.m = p.m;
  g.a = p.a.data();
  g.lda = p.lda;
  g.w = &p.packed;
  g.output = out;
  g.c = c;
  g.ldc = p.ldc;
  return g;
}

/// int32 accumulators of `isa` vs the int64 reference; cells outside [m, n] must be untouched.
bool int32_exact(const Problem& p, Int8Isa isa, const ParallelFor& pf, std::size_t threads,
                 std::string& why) {
  constexpr int32_t kSentinel = 0x5A5A5A5A;
  std::vector<int32_t> c(p.m * p.ldc, kSentinel);
  gemm(params_for(p, Output::kInt32, c.data()), isa, pf, threads);
  for (std::size_t i = 0; i < p.m; ++i) {
    for (std::size_t j = 0; j < p.ldc; ++j) {
      const int32_t got = c[i * p.ldc + j];
      if (j >= p.n) {
        if (got != kSentinel) {
          why = "wrote past N at (" + std::to_string(i) + "," + std::to_string(j) + ")";
          return false;
        }
        continue;
      }
      const int64_t want = p.ref[i * p.n + j];
      if (got != want) {
        why = "C(" + std::to_string(i) + "," + std::to_string(j) + ") = " + std::to_string(got) +
              ", expected " + std::to_string(want);
        return false;
      }
    }
  }
  return true;
}

struct Shape {
  std::size_t m, n, k;
};

std::vector<Shape> test_shapes() {
  std::vector<Shape> s = {
      {1, 1, 1},     {1, 16, 4},    {2, 17, 3},    {3, 15, 5},     {5, 31, 63},   {7, 33, 64},
      {8, 32, 65},   {9, 1, 127},   {16, 48, 128}, {31, 16, 129},  {32, 32, 256}, {33, 63, 255},
      {47, 100, 300}, {64, 64, 64}, {95, 17, 768}, {97, 65, 130},  {100, 3, 2},   {193, 47, 77},
      {6, 200, 33},  {40, 96, 1000}};
  std::mt19937 rng(2024);
  for (int i = 0; i < 30; ++i) {
    s.push_back({1 + rng() % 130, 1 + rng() % 90, 1 + rng() % 400});
  }
  return s;
}

void test_gemm_int32(const std::vector<Int8Isa>& isas) {
  std::mt19937 rng(99);
  const std::vector<Shape> shapes = test_shapes();
  const Values kinds[] = {Values::kUniform, Values::kSymmetric, Values::kExtremeSame,
                          Values::kExtremeOpposite, Values::kSparse};
  std::vector<int> passed(5, 0);
  std::vector<int> failed(5, 0);
  const ParallelFor pf = thread_parallel_for(3);
  for (std::size_t si = 0; si < shapes.size(); ++si) {
    const Shape& sh = shapes[si];
    const Values v = kinds[si % 5];
    const Problem p = make_problem(rng, sh.m, sh.n, sh.k, v);
    for (Int8Isa isa : isas) {
      std::string why;
      // Serial, then split into tiles on 3 real threads (threads_hint 8: many small tiles).
      const bool ok = int32_exact(p, isa, {}, 1, why) && int32_exact(p, isa, pf, 8, why);
      (ok ? passed : failed)[static_cast<int>(isa)]++;
      SAMP_CHECK_MSG(ok, samp::int8_isa_name(isa) << " M=" << sh.m << " N=" << sh.n << " K=" << sh.k
                                                 << " (" << values_name(v) << "): " << why);
    }
  }
  // The largest K, with the values that push the int32 sums to their extremes:
  // Σ 127·(-128)·65536 = -1065353216, and (a+128)·w = 255·(-128) per term in the u8 kernels.
  for (Values v : {Values::kExtremeOpposite, Values::kExtremeSame, Values::kUniform}) {
    const Problem p = make_problem(rng, 3, 17, kMaxK, v);
    for (Int8Isa isa : isas) {
      std::string why;
      const bool ok = int32_exact(p, isa, {}, 1, why);
      (ok ? passed : failed)[static_cast<int>(isa)]++;
      SAMP_CHECK_MSG(ok, samp::int8_isa_name(isa) << " K=65536 (" << values_name(v) << "): " << why);
    }
  }
  for (Int8Isa isa : isas) {
    std::printf("isa %-12s int32 accumulators: %d problems bit-identical to the int64 reference, %d differ\n",
                samp::int8_isa_name(isa), passed[static_cast<int>(isa)], failed[static_cast<int>(isa)]);
  }
}

// --- epilogues: identical across ISAs, right against fp64 ---------------------------------------

double gelu_ref(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }
double gelu_tanh_ref(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}
double act_ref(Activation act, double y) {
  switch (act) {
    case Activation::kRelu: return y > 0 ? y : 0;
    case Activation::kGeluErf: return gelu_ref(y);
    case Activation::kGeluTanh: return gelu_tanh_ref(y);
    case Activation::kNone: return y;
  }
  return y;
}

void test_epilogues(const std::vector<Int8Isa>& isas) {
  std::mt19937 rng(5);
  const Shape shapes[] = {{1, 1, 5}, {7, 17, 33}, {33, 47, 130}, {64, 64, 64}, {97, 100, 257}};
  const Activation acts[] = {Activation::kNone, Activation::kRelu, Activation::kGeluErf,
                             Activation::kGeluTanh};
  std::vector<int> identical(5, 0);
  std::vector<int> differ(5, 0);
  double worst_f32 = 0;
  for (const Shape& sh : shapes) {
    const Problem p = make_problem(rng, sh.m, sh.n, sh.k, Values::kSymmetric);
    std::vector<float> bias(p.n);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (auto& b : bias) b = nd(rng);
    std::vector<float> row_scales(p.m);
    for (auto& r : row_scales) r = 0.0005f + 0.001f * static_cast<float>(rng() % 100) / 100.0f;
    for (Activation act : acts) {
      for (int variant = 0; variant < 4; ++variant) {
        const bool with_bias = variant & 1;
        const bool per_row = variant & 2;
        for (Output out : {Output::kFloat32, Output::kInt8}) {
          GemmParams g = params_for(p, out, nullptr);
          g.a_scale = 0.0021f;
          g.a_row_scales = per_row ? row_scales.data() : nullptr;
          g.bias = with_bias ? bias.data() : nullptr;
          g.activation = act;
          g.out_scale = 0.043f;
          const std::size_t bytes = p.m * p.ldc * (out == Output::kFloat32 ? 4 : 1);
          std::vector<uint8_t> base(bytes, 0xCD);
          g.c = base.data();
          gemm(g, Int8Isa::kScalar);
          // The scalar result against fp64 (exact accumulators, then the epilogue in double).
          // fp32 rounds acc·s and + bias once each (2^-24 relative), the activations add their
          // approximation error (< 4e-7·max(1,|y|)) and pass the input error on (slope < 1.13).
          for (std::size_t i = 0; i < p.m; ++i) {
            const double sa = per_row ? row_scales[i] : g.a_scale;
            for (std::size_t j = 0; j < p.n; ++j) {
              const double s = static_cast<double>(static_cast<float>(sa) * p.ws[j]);
              const double t = static_cast<double>(p.ref[i * p.n + j]) * s;
              const double pre = t + (with_bias ? bias[j] : 0.0);
              const double y = act_ref(act, pre);
              const double tol = 1.13 * 1.2e-7 * (std::fabs(t) + std::fabs(pre)) +
                                 4e-7 * std::max(1.0, std::fabs(y));
              if (out == Output::kFloat32) {
                float got;
                std::memcpy(&got, base.data() + (i * p.ldc + j) * 4, 4);
                const double err = std::fabs(got - y);
                worst_f32 = std::max(worst_f32, err / tol);
                SAMP_CHECK_MSG(err <= tol, "fp32 epilogue " << activation_name(act) << " C(" << i << "," << j
                                                            << ") = " << got << ", fp64 " << y);
              } else {
                const int got = static_cast<int8_t>(base[i * p.ldc + j]);
                const double qd = std::clamp(y / g.out_scale, -127.0, 127.0);
                SAMP_CHECK_MSG(std::fabs(got - qd) <= 0.5 + tol / g.out_scale + 1e-6,
                               "int8 epilogue " << activation_name(act) << " C(" << i << "," << j
                                                << ") = " << got << ", fp64 " << qd);
              }
            }
          }
          for (Int8Isa isa : isas) {
            if (isa == Int8Isa::kScalar) continue;
            std::vector<uint8_t> c(bytes, 0xCD);
            g.c = c.data();
            gemm(g, isa);
            const bool same = c == base;
            (same ? identical : differ)[static_cast<int>(isa)]++;
            SAMP_CHECK_MSG(same, samp::int8_isa_name(isa) << " epilogue differs from scalar: "
                                                         << activation_name(act) << " bias=" << with_bias
                                                         << " per_row=" << per_row << " out="
                                                         << (out == Output::kFloat32 ? "f32" : "i8")
                                                         << " M=" << sh.m << " N=" << sh.n);
          }
        }
      }
    }
  }
  std::printf("scalar epilogue vs fp64: worst fp32 error %.3g of its bound; int8 within 1/2 (+ fp32 error) of the exact quotient\n",
              worst_f32);
  for (Int8Isa isa : isas) {
    if (isa == Int8Isa::kScalar) continue;
    std::printf("isa %-12s fp32/int8 epilogues: %d cases bit-identical to scalar, %d differ\n",
                samp::int8_isa_name(isa), identical[static_cast<int>(isa)], differ[static_cast<int>(isa)]);
  }
}

/// GELU / tanh-GELU / ReLU over a dense range through the epilogue (K = 1, W = 1, scale 1):
/// x = q · a_scale for every q in [-127, 127].
void test_activation_accuracy(const std::vector<Int8Isa>& isas) {
  const std::size_t m = 255;
  std::vector<int8_t> a(m);
  for (std::size_t i = 0; i < m; ++i) a[i] = static_cast<int8_t>(static_cast<int>(i) - 127);
  const int8_t one = 1;
  const float ws = 1.0f;
  const PackedWeights w = PackedWeights::pack(&one, 1, 1, 1, &ws);
  for (float a_scale : {0.0823f, 0.0071f}) {
    for (Activation act : {Activation::kGeluErf, Activation::kGeluTanh, Activation::kRelu}) {
      double worst = 0;
      std::vector<float> base;
      for (Int8Isa isa : isas) {
        std::vector<float> c(m);
        GemmParams g;
        g.m = m;
        g.a = a.data();
        g.lda = 1;
        g.a_scale = a_scale;
        g.w = &w;
        g.activation = act;
        g.c = c.data();
        g.ldc = 1;
        gemm(g, isa);
        if (isa == Int8Isa::kScalar) {
          base = c;
          for (std::size_t i = 0; i < m; ++i) {
            const double x = static_cast<double>(static_cast<float>(a[i]) * a_scale);
            const double err = std::fabs(c[i] - act_ref(act, x));
            worst = std::max(worst, err / std::max(1.0, std::fabs(x)));
            SAMP_CHECK_MSG(err <= 4e-7 * std::max(1.0, std::fabs(x)),
                           activation_name(act) << "(" << x << ") = " << c[i] << ", fp64 " << act_ref(act, x));
          }
        } else {
          SAMP_CHECK_MSG(c == base, samp::int8_isa_name(isa) << " " << activation_name(act) << " differs from scalar");
        }
      }
      std::printf("%-9s over [%.2f, %.2f]: worst error %.3g · max(1,|x|)\n", activation_name(act),
                  -127 * a_scale, 127 * a_scale, worst);
    }
  }
}

// --- ranges, threading, validation ----------------------------------------------------------------

void test_ranges(const std::vector<Int8Isa>& isas) {
  std::mt19937 rng(17);
  const Problem p = make_problem(rng, 77, 70, 99, Values::kSymmetric);
  for (Int8Isa isa : isas) {
    std::vector<float> full(p.m * p.ldc, 0.0f);
    GemmParams g = params_for(p, Output::kFloat32, full.data());
    g.a_scale = 0.01f;
    g.activation = Activation::kGeluErf;
    gemm(g, isa);
    const std::size_t m0 = 10, m1 = 41, n0 = 16, n1 = 70;
    std::vector<float> part(p.m * p.ldc, -777.0f);
    g.c = part.data();
    gemm_range(g, isa, m0, m1, n0, n1);
    bool ok = true;
    for (std::size_t i = 0; i < p.m; ++i) {
      for (std::size_t j = 0; j < p.ldc; ++j) {
        const bool inside = i >= m0 && i < m1 && j >= n0 && j < n1;
        const float want = inside ? full[i * p.ldc + j] : -777.0f;
        ok = ok && std::memcmp(&part[i * p.ldc + j], &want, 4) == 0;
      }
    }
    SAMP_CHECK_MSG(ok, samp::int8_isa_name(isa) << ": gemm_range wrote outside its block or differs");
    // Threaded == serial, bit for bit.
    std::vector<float> threaded(p.m * p.ldc, 0.0f);
    g.c = threaded.data();
    gemm(g, isa, thread_parallel_for(4), 16);
    SAMP_CHECK_MSG(threaded == full, samp::int8_isa_name(isa) << ": threaded result differs from serial");
    SAMP_CHECK(throws_code([&] { gemm_range(g, isa, 0, 5, 8, 32); }, kInvalid));   // n0 % 16
    SAMP_CHECK(throws_code([&] { gemm_range(g, isa, 0, 5, 0, 40); }, kInvalid));   // n1
    SAMP_CHECK(throws_code([&] { gemm_range(g, isa, 5, 78, 0, 16); }, kInvalid));  // m1 > M
    SAMP_CHECK(throws_code([&] { gemm_range(g, isa, 6, 5, 0, 16); }, kInvalid));   // m0 > m1
  }
}

void test_validation() {
  std::mt19937 rng(23);
  const Problem p = make_problem(rng, 4, 5, 6, Values::kSymmetric);
  std::vector<float> c(p.m * p.ldc);
  const GemmParams ok = params_for(p, Output::kFloat32, c.data());
  gemm(ok, Int8Isa::kScalar);
  auto bad = [&](const std::function<void(GemmParams&)>& edit, const char* what) {
    GemmParams g = ok;
    edit(g);
    SAMP_CHECK_MSG(throws_code([&] { gemm(g, Int8Isa::kScalar); }, kInvalid), what << " was accepted");
  };
  bad([](GemmParams& g) { g.a = nullptr; }, "null A");
  bad([](GemmParams& g) { g.c = nullptr; }, "null C");
  bad([](GemmParams& g) { g.w = nullptr; }, "null W");
  bad([&](GemmParams& g) { g.lda = p.k - 1; }, "lda < K");
  bad([&](GemmParams& g) { g.ldc = p.n - 1; }, "ldc < N");
  bad([](GemmParams& g) { g.a_scale = 0.0f; }, "a_scale 0");
  bad([](GemmParams& g) { g.a_scale = std::numeric_limits<float>::quiet_NaN(); }, "a_scale NaN");
  bad([](GemmParams& g) { g.output = Output::kInt8; g.out_scale = 0.0f; }, "out_scale 0");
  bad([](GemmParams& g) { g.output = Output::kInt8; g.out_scale = -2.0f; }, "out_scale < 0");
  bad([](GemmParams& g) { g.activation = static_cast<Activation>(9); }, "unknown activation");
  bad([](GemmParams& g) { g.output = static_cast<Output>(7); }, "unknown output");
  const float zero_rows[4] = {0.1f, 0.1f, 0.0f, 0.1f};
  bad([&](GemmParams& g) { g.a_row_scales = zero_rows; }, "a zero row scale");
  // M = 0 is a no-op, even with null A and C.
  GemmParams empty = ok;
  empty.m = 0;
  empty.a = nullptr;
  empty.c = nullptr;
  gemm(empty, Int8Isa::kScalar);
  // An ISA this process cannot run is an error, never an illegal instruction.
  int refused = 0;
  for (Int8Isa isa : kAllIsas) {
    if (isa_runnable(isa)) continue;
    ++refused;
    SAMP_CHECK_MSG(throws_code([&] { gemm(ok, isa); }, kUnsupported),
                   samp::int8_isa_name(isa) << " was not refused");
    std::vector<int8_t> q(3);
    const float x[3] = {1, 2, 3};
    SAMP_CHECK(throws_code([&] { quantize(x, 3, 1.0f, q.data(), isa); }, kUnsupported));
  }
  std::printf("unsupported-ISA refusal: checked on %d ISA(s) this CPU cannot run\n", refused);
}

samp::CpuFeatures avx2_cpu() {
  samp::CpuFeatures f;
  f.sse4_2 = f.avx = f.avx2 = f.fma = f.os_avx = true;
  return f;
}

void test_isa_resolution() {
  using samp::IsaOverride;
  samp::CpuFeatures icelake = avx2_cpu();  // AVX-512 VNNI but no AVX-VNNI
  icelake.avx512f = icelake.avx512bw = icelake.avx512vl = icelake.avx512_vnni = icelake.os_avx512 = true;
  samp::CpuFeatures alder = avx2_cpu();  // AVX-VNNI, no AVX-512
  alder.avx_vnni = true;
  samp::CpuFeatures spr = icelake;
  spr.avx_vnni = spr.amx_tile = spr.amx_int8 = spr.os_amx = true;

  SAMP_CHECK(isa_supported(Int8Isa::kAvx512Vnni, icelake, false));
  SAMP_CHECK(!isa_supported(Int8Isa::kAvxVnni, icelake, false));
  SAMP_CHECK(isa_supported(Int8Isa::kAvxVnni, alder, false));
  SAMP_CHECK(!isa_supported(Int8Isa::kAvx512Vnni, alder, false));
  SAMP_CHECK(!isa_supported(Int8Isa::kAmxInt8, spr, false));  // no permission
  SAMP_CHECK(isa_supported(Int8Isa::kAmxInt8, spr, true));
  SAMP_CHECK(!isa_supported(Int8Isa::kAvx2, samp::CpuFeatures{}, true));

  IsaOverride cap;
  cap.present = true;
  cap.raw = "avx-vnni";
  cap.cap = Int8Isa::kAvxVnni;
  // The probe caps Ice Lake to "avx-vnni", which it lacks: resolve steps down to AVX2.
  const Int8Isa want_icl = isa_compiled(Int8Isa::kAvx2) ? Int8Isa::kAvx2 : Int8Isa::kScalar;
  SAMP_CHECK(resolve_isa(icelake, false, cap) == want_icl);
  const IsaOverride none;
  auto top = [](Int8Isa isa) {  // the highest compiled level at or below isa
    while (!isa_compiled(isa)) isa = static_cast<Int8Isa>(static_cast<int>(isa) - 1);
    return isa;
  };
  SAMP_CHECK(resolve_isa(spr, true, none) == top(Int8Isa::kAmxInt8));
  SAMP_CHECK(resolve_isa(spr, false, none) == top(Int8Isa::kAvx512Vnni));
  SAMP_CHECK(resolve_isa(alder, false, none) == top(Int8Isa::kAvxVnni));
  SAMP_CHECK(resolve_isa(samp::CpuFeatures{}, true, none) == Int8Isa::kScalar);

  const IsaChoice& c = isa_choice();
  SAMP_CHECK(isa_runnable(c.isa));
  SAMP_CHECK(static_cast<int>(c.isa) <= static_cast<int>(c.hardware));
  SAMP_CHECK_MSG(c.isa == top(c.hardware) || !isa_supported(top(c.hardware), c.features, samp::amx_usable(c.amx)),
                 "the uncapped choice is not the best runnable level");
}

// --- the pipeline against fp64 ------------------------------------------------------------------

/// fp32 activations and weights → dynamic activation quantization (per tensor, then per row) +
/// per-channel weights → GEMM with dequantizing epilogue, against the fp64 GEMM of the original
/// values. Per element, with a = sa·qa + ea (|ea| <= sa/2), w = sw·qw + ew (|ew| <= sw/2):
///   |Σ a·w - Σ sa·qa·sw·qw| <= Σ (|qa|·sa·sw/2 + |qw|·sw·sa/2 + sa·sw/4)
/// plus fp32 rounding of the epilogue; the check uses that bound. A loose bound alone would let
/// a subtly broken kernel through, so the RMS error must also match its statistical prediction
/// (rounding errors uniform on ±s/2, variance s²/12): E[err²] ≈ Σ_k (sa²·w_k² + sw²·a_k²)/12.
void test_pipeline(const std::vector<Int8Isa>& isas) {
  std::mt19937 rng(31);
  const std::size_t m = 37, k = 300, n = 70;
  std::vector<float> a(m * k), w(n * k), bias(n);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& v : a) v = nd(rng);
  for (std::size_t i = 0; i < a.size(); i += 97) a[i] *= 6.0f;  // a few outliers
  for (auto& v : w) v = 0.05f * nd(rng);
  for (auto& v : bias) v = 0.1f * nd(rng);
  std::vector<double> ref(m * n);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      double s = bias[j];
      for (std::size_t kk = 0; kk < k; ++kk) s += static_cast<double>(a[i * k + kk]) * w[j * k + kk];
      ref[i * n + j] = s;
    }
  }
  const QuantizedWeights qw = quantize_weights(w.data(), n, k, k);
  const PackedWeights pw = PackedWeights::pack(qw);
  for (int per_row = 0; per_row < 2; ++per_row) {
    for (Int8Isa isa : isas) {
      std::vector<int8_t> qa(m * k);
      std::vector<float> row_scales(m);
      float sa = 0;
      if (per_row) {
        quantize_rows_dynamic(a.data(), m, k, k, qa.data(), k, row_scales.data(), isa);
      } else {
        sa = quantize_dynamic(a.data(), a.size(), qa.data(), isa);
      }
      std::vector<float> c(m * n);
      GemmParams g;
      g.m = m;
      g.a = qa.data();
      g.lda = k;
      g.a_scale = per_row ? 1.0f : sa;
      g.a_row_scales = per_row ? row_scales.data() : nullptr;
      g.w = &pw;
      g.bias = bias.data();
      g.c = c.data();
      g.ldc = n;
      gemm(g, isa, thread_parallel_for(2), 2);
      double sum_err2 = 0, sum_ref2 = 0, sum_ratio = 0, sum_pred2 = 0;
      bool within = true;
      for (std::size_t i = 0; i < m; ++i) {
        const double s_a = per_row ? row_scales[i] : sa;
        for (std::size_t j = 0; j < n; ++j) {
          const double s_w = qw.scales[j];
          double bound = 0;
          for (std::size_t kk = 0; kk < k; ++kk) {
            bound += std::abs(qa[i * k + kk]) * s_a * s_w / 2 + std::abs(qw.q[j * k + kk]) * s_w * s_a / 2 +
                     s_a * s_w / 4;
            const double av = a[i * k + kk], wv = w[j * k + kk];
            sum_pred2 += (s_a * s_a * wv * wv + s_w * s_w * av * av) / 12;
          }
          const double y = ref[i * n + j];
          bound += 1e-6 * (std::fabs(y) + 1);
          const double err = std::fabs(c[i * n + j] - y);
          within = within && err <= bound;
          sum_err2 += err * err;
          sum_ref2 += y * y;
          sum_ratio += err / bound;
        }
      }
      const double rel_rms = std::sqrt(sum_err2 / sum_ref2);
      const double rms_vs_pred = std::sqrt(sum_err2 / sum_pred2);
      const double mean_ratio = sum_ratio / static_cast<double>(m * n);
      SAMP_CHECK_MSG(within, samp::int8_isa_name(isa) << ": an element is outside the quantization error bound");
      SAMP_CHECK_MSG(rms_vs_pred > 0.7 && rms_vs_pred < 1.3,
                     samp::int8_isa_name(isa) << ": RMS error " << rms_vs_pred << "x its statistical prediction");
      SAMP_CHECK_MSG(mean_ratio < 0.25, samp::int8_isa_name(isa) << ": mean error/bound " << mean_ratio);
      std::printf("isa %-12s pipeline (%s activations) vs fp64: relative RMS error %.4f (%.2fx the predicted), "
                  "mean error/bound %.3f\n",
                  samp::int8_isa_name(isa), per_row ? "per-row" : "per-tensor", rel_rms, rms_vs_pred, mean_ratio);
    }
  }
}

}  // namespace

// --- softmax to int8 and per-call repacking (the INT8 attention's pieces) ----------------------

/// softmax_quantize on every ISA: bit-identical codes (and exponentials) to the scalar kernel,
/// within one code of an fp64 softmax, codes summing to ~127, the max at 127 for a peaked row.
void test_softmax_quantize(const std::vector<Int8Isa>& isas) {
  std::mt19937 rng(99);
  const std::size_t lengths[] = {1, 2, 7, 15, 16, 17, 31, 48, 64, 100, 128, 513};
  for (std::size_t n : lengths) {
    for (float spread : {0.1f, 3.0f, 40.0f}) {
      std::normal_distribution<float> d(0.0f, spread);
      std::vector<float> x(n);
      for (float& v : x) v = d(rng);
      if (n > 3) x[n / 2] = spread * 5.0f;  // a clear maximum
      for (float scale : {1.0f / 127.0f, 1.0f / 100.0f}) {
        std::vector<float> ref_x = x;
        std::vector<int8_t> ref_q(n);
        softmax_quantize(ref_x.data(), n, scale, ref_q.data(), Int8Isa::kScalar);
        // Against fp64: |q - p/scale| <= 0.5 + the rounding of fp32 (1e-4 relative) + clamp.
        double m = x[0];
        for (float v : x) m = std::max(m, static_cast<double>(v));
        double sum = 0;
        for (float v : x) sum += std::exp(static_cast<double>(v) - m);
        int code_sum = 0;
        bool close = true;
        for (std::size_t j = 0; j < n; ++j) {
          const double target = std::min(127.0, std::exp(x[j] - m) / sum / scale);
          close = close && std::fabs(ref_q[j] - target) <= 0.5 + 1e-4 * (1 + target);
          close = close && ref_q[j] >= 0;
          code_sum += ref_q[j];
        }
        SAMP_CHECK_MSG(close, "softmax codes vs fp64, n=" << n << " spread=" << spread);
        if (scale == 1.0f / 127.0f) {
          SAMP_CHECK_MSG(std::abs(code_sum - 127) <= static_cast<int>(n + 1) / 2,
                         "codes sum " << code_sum << ", n=" << n);
        }
        for (Int8Isa isa : isas) {
          std::vector<float> xi = x;
          std::vector<int8_t> qi(n, -1);
          softmax_quantize(xi.data(), n, scale, qi.data(), isa);
          SAMP_CHECK_MSG(qi == ref_q && std::memcmp(xi.data(), ref_x.data(), n * 4) == 0,
                         "softmax isa " << samp::int8_isa_name(isa) << " n=" << n);
        }
      }
    }
  }
  // One key: probability 1 → 127 at step 1/127.
  float one = 3.5f;
  int8_t q1 = 0;
  softmax_quantize(&one, 1, 1.0f / 127.0f, &q1);
  SAMP_CHECK(q1 == 127);
  float bad[2] = {0.0f, 1.0f};
  int8_t qb[2];
  SAMP_CHECK(throws_code([&] { softmax_quantize(bad, 2, 0.0f, qb); }, kInvalid));
  SAMP_CHECK(throws_code([&] { softmax_quantize(bad, 0, 1.0f, qb); }, kInvalid));
  SAMP_CHECK(throws_code([&] { softmax_quantize(nullptr, 2, 1.0f, qb); }, kInvalid));
}

/// repack() gives the same packed weights as pack(), shrinking and growing in one object.
void test_repack() {
  std::mt19937 rng(5);
  PackedWeights p;
  const std::size_t shapes[][2] = {{48, 64}, {16, 17}, {70, 200}, {3, 5}};
  for (const auto& sh : shapes) {
    const std::size_t n = sh[0], k = sh[1], ldw = k + 3;
    const std::vector<int8_t> w = random_i8(rng, n * ldw, -128, 127);
    std::vector<float> scales(n);
    for (std::size_t i = 0; i < n; ++i) scales[i] = 0.01f * static_cast<float>(i + 1);
    p.repack(w.data(), n, k, ldw, scales.data());
    const PackedWeights fresh = PackedWeights::pack(w.data(), n, k, ldw, scales.data());
    bool same = p.n() == n && p.k() == k && p.k_padded() == fresh.k_padded();
    for (std::size_t i = 0; same && i < n; ++i) {
      for (std::size_t j = 0; j < k; ++j) same = same && p.at(i, j) == w[i * ldw + j];
    }
    const std::size_t bytes = fresh.blocks() * fresh.block_stride();
    same = same && std::memcmp(p.data(), fresh.data(), bytes) == 0 &&
           std::memcmp(p.compensation(), fresh.compensation(), fresh.blocks() * 16 * 4) == 0 &&
           std::memcmp(p.scales(), fresh.scales(), fresh.blocks() * 16 * 4) == 0;
    SAMP_CHECK_MSG(same, "repack n=" << n << " k=" << k);
  }
  std::vector<int8_t> w(16, 1);
  const float zero = 0.0f;
  SAMP_CHECK(throws_code([&] { p.repack(w.data(), 1, 16, 16, &zero); }, kInvalid));
}

int main() {
  const IsaChoice& c = isa_choice();
  std::printf("cpu: %s; hardware int8 isa: %s; chosen: %s; amx permission: %s\n", c.features.brand.c_str(),
              samp::int8_isa_name(c.hardware), samp::int8_isa_name(c.isa), samp::amx_permission_name(c.amx));
  const std::vector<Int8Isa> isas = runnable_isas();
#if defined(SAMP_INT8_EMULATE)
  std::printf("EMULATED BUILD: avx-vnni, avx512-vnni and amx-int8 run on a software model of their "
              "instructions (blocking, packing, epilogues checked; the hardware is not)\n");
#endif
  for (Int8Isa isa : kAllIsas) {
    if (!isa_compiled(isa)) {
      std::printf("isa %-12s NOT COMPILED into this build (the compiler lacks its flags): not tested\n",
                  samp::int8_isa_name(isa));
    } else if (!isa_runnable(isa)) {  // printed, never counted as passed
      std::printf("isa %-12s not run on this CPU\n", samp::int8_isa_name(isa));
    } else {
      std::printf("isa %-12s tested\n", samp::int8_isa_name(isa));
    }
  }
  SAMP_CHECK(!isas.empty() && isas.front() == Int8Isa::kScalar);

  test_round_half_even();
  test_quantize(isas);
  test_weights();
  test_isa_resolution();
  test_gemm_int32(isas);
  test_epilogues(isas);
  test_activation_accuracy(isas);
  test_ranges(isas);
  test_validation();
  test_pipeline(isas);
  test_softmax_quantize(isas);
  test_repack();
  return samp::test::result("int8-gemm-test");
}
