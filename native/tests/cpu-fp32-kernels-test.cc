// FP32 CPU kernels against float64 references: the AVX2 sgemm against the scalar one on random
// shapes (odd sizes, every epilogue, the row finisher, 1 and 3 threads), LayerNorm, GELU (erf and
// tanh forms), ReLU, softmax, attention (AVX2 vs scalar vs a float64 reference, with padding).
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "check.h"
#include "cpu/activation-span.h"
#include "cpu/attention.h"
#include "cpu/fp32-isa.h"
#include "cpu/layer-norm.h"
#include "cpu/sgemm.h"
#include "cpu/thread-pool.h"
#include "cpu/workspace.h"

using namespace samp::cpu;

namespace {

std::mt19937 rng(1234);

std::vector<float> random_vector(std::size_t n, float scale = 1.0f) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v)
    x = dist(rng);
  return v;
}

double act_ref(Activation a, double x) {
  switch (a) {
    case Activation::kGelu:
      return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case Activation::kGeluTanh:
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case Activation::kRelu:
      return x > 0 ? x : 0;
    case Activation::kNone:
      break;
  }
  return x;
}

/// max |a − ref| / max(|ref|, 1e-30) over the elements.
double rel_error(const std::vector<float>& a, const std::vector<double>& ref) {
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    diff = std::max(diff, std::fabs(a[i] - ref[i]));
    scale = std::max(scale, std::fabs(ref[i]));
  }
  return diff / std::max(scale, 1e-30);
}

void check_sgemm(bool avx2, ThreadPool* pool, int m, int n, int k, Activation act, bool bias,
                 bool residual, bool finisher) {
  const auto a = random_vector(static_cast<std::size_t>(m) * k);
  const auto w = random_vector(static_cast<std::size_t>(n) * k);
  const auto b = random_vector(static_cast<std::size_t>(n));
  const int ldc = n + 3;  // strided output and residual
  const auto r = random_vector(static_cast<std::size_t>(m) * ldc);
  std::vector<double> ref(static_cast<std::size_t>(m) * n);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int kk = 0; kk < k; ++kk)
        s += static_cast<double>(a[i * k + kk]) * w[j * k + kk];
      if (bias)
        s += b[j];
      s = act_ref(act, s);
      if (residual)
        s += r[i * ldc + j];
      if (finisher)
        s *= 2.0;
      ref[i * n + j] = s;
    }
  }
  PackedWeight packed(w.data(), n, k);
  GemmEpilogue ep;
  ep.bias = bias ? b.data() : nullptr;
  ep.activation = act;
  ep.residual = residual ? r.data() : nullptr;
  ep.ldr = ldc;
  std::vector<float> c(static_cast<std::size_t>(m) * ldc, -7.0f);
  std::vector<int> finished(static_cast<std::size_t>(m), 0);
  const RowFinisher double_rows = [&](int r0, int r1) {
    for (int i = r0; i < r1; ++i) {
      ++finished[i];
      for (int j = 0; j < n; ++j)
        c[i * ldc + j] *= 2.0f;
    }
  };
  sgemm(avx2 ? Fp32Isa::kAvx2 : Fp32Isa::kScalar, pool, m, a.data(), k, packed, c.data(), ldc, ep,
        finisher ? &double_rows : nullptr);
  std::vector<float> got(static_cast<std::size_t>(m) * n);
  bool padding_intact = true;
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j)
      got[i * n + j] = c[i * ldc + j];
    for (int j = n; j < ldc; ++j)
      padding_intact = padding_intact && c[i * ldc + j] == -7.0f;
    if (finisher)
      SAMP_CHECK_MSG(finished[i] == 1, "row " << i << " finished " << finished[i] << " times");
  }
  const double err = rel_error(got, ref);
  SAMP_CHECK_MSG(err < 2e-6, (avx2 ? "avx2" : "scalar")
                                 << " sgemm m=" << m << " n=" << n << " k=" << k
                                 << " act=" << static_cast<int>(act) << " bias=" << bias
                                 << " residual=" << residual << ": relative error " << err);
  SAMP_CHECK_MSG(padding_intact, "sgemm wrote outside the " << n << " columns of a row");
}

void test_sgemm(bool avx2) {
  ThreadPool one(1), three(3);
  const int shapes[][3] = {{1, 1, 1},   {1, 16, 8},   {5, 17, 3},    {6, 16, 16},  {7, 33, 31},
                           {13, 5, 64}, {48, 96, 32}, {97, 40, 129}, {200, 48, 17}};
  const Activation acts[] = {Activation::kNone, Activation::kGelu, Activation::kGeluTanh,
                             Activation::kRelu};
  int variant = 0;
  for (const auto& s : shapes) {
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &one, &three}) {
      const Activation act = acts[variant % 4];
      check_sgemm(avx2, pool, s[0], s[1], s[2], act, variant % 2 == 0, variant % 3 != 0,
                  variant % 5 == 1);
      ++variant;
    }
  }
  // Random shapes, both kernels on the same data must agree closely.
  std::uniform_int_distribution<int> dim(1, 70);
  for (int i = 0; i < 20; ++i) {
    check_sgemm(avx2, &three, dim(rng), dim(rng), dim(rng), acts[i % 4], true, i % 2 == 0,
                i % 3 == 0);
  }
}

void test_avx2_matches_scalar() {
  ThreadPool pool(2);
  std::uniform_int_distribution<int> dim(1, 90);
  for (int trial = 0; trial < 30; ++trial) {
    const int m = dim(rng), n = dim(rng), k = dim(rng);
    const auto a = random_vector(static_cast<std::size_t>(m) * k);
    const auto w = random_vector(static_cast<std::size_t>(n) * k);
    const auto b = random_vector(static_cast<std::size_t>(n));
    PackedWeight packed(w.data(), n, k);
    GemmEpilogue ep;
    ep.bias = b.data();
    ep.activation = trial % 2 ? Activation::kGelu : Activation::kGeluTanh;
    std::vector<float> cs(static_cast<std::size_t>(m) * n), cv(cs.size());
    sgemm(Fp32Isa::kScalar, &pool, m, a.data(), k, packed, cs.data(), n, ep);
    sgemm(Fp32Isa::kAvx2, &pool, m, a.data(), k, packed, cv.data(), n, ep);
    const std::vector<double> ref(cs.begin(), cs.end());
    const double err = rel_error(cv, ref);
    SAMP_CHECK_MSG(err < 2e-6, "avx2 vs scalar m=" << m << " n=" << n << " k=" << k << ": " << err);
  }
}

void test_activations(bool avx2) {
  std::vector<float> x;
  for (double v = -12.0; v <= 12.0; v += 0.0137)
    x.push_back(static_cast<float>(v));
  for (Activation a : {Activation::kGelu, Activation::kGeluTanh, Activation::kRelu}) {
    std::vector<float> y = x;
    if (avx2) {
      activation_span_avx2(a, y.data(), static_cast<int>(y.size()));
    } else {
      activation_span_scalar(a, y.data(), static_cast<int>(y.size()));
    }
    double worst = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double ref = act_ref(a, x[i]);
      // Absolute error scaled by max(1, |x|): the products these feed are dominated by that scale.
      worst = std::max(worst,
                       std::fabs(y[i] - ref) / std::max(1.0, std::fabs(static_cast<double>(x[i]))));
    }
    SAMP_CHECK_MSG(worst < 1e-6, (avx2 ? "avx2" : "scalar") << " activation " << static_cast<int>(a)
                                                            << ": error " << worst);
  }
}

void test_layer_norm(bool avx2) {
  for (int n : {1, 7, 32, 257, 768}) {
    const int rows = 5, ld = n + 2;
    auto x = random_vector(static_cast<std::size_t>(rows) * ld, 3.0f);
    for (auto& v : x)
      v += 10.0f;  // a large mean: a one-pass float variance would lose digits
    const auto g = random_vector(static_cast<std::size_t>(n));
    const auto b = random_vector(static_cast<std::size_t>(n));
    std::vector<double> ref(static_cast<std::size_t>(rows) * n);
    for (int r = 0; r < rows; ++r) {
      double mean = 0, var = 0;
      for (int j = 0; j < n; ++j)
        mean += x[r * ld + j];
      mean /= n;
      for (int j = 0; j < n; ++j)
        var += (x[r * ld + j] - mean) * (x[r * ld + j] - mean);
      var /= n;
      for (int j = 0; j < n; ++j)
        ref[r * n + j] = (x[r * ld + j] - mean) / std::sqrt(var + 1e-12) * g[j] + b[j];
    }
    layer_norm_rows(avx2 ? Fp32Isa::kAvx2 : Fp32Isa::kScalar, x.data(), ld, n, 0, rows, g.data(),
                    b.data(), 1e-12f);
    std::vector<float> got(ref.size());
    for (int r = 0; r < rows; ++r)
      for (int j = 0; j < n; ++j)
        got[r * n + j] = x[r * ld + j];
    const double err = n == 1 ? 0 : rel_error(got, ref);
    SAMP_CHECK_MSG(err < 1e-6, (avx2 ? "avx2" : "scalar") << " layer_norm n=" << n << ": " << err);
  }
}

void test_softmax(bool avx2) {
  for (int n : {1, 3, 8, 13, 64, 101}) {
    auto x = random_vector(static_cast<std::size_t>(n), 20.0f);
    std::vector<double> ref(x.size());
    double m = -1e300, sum = 0;
    for (float v : x)
      m = std::max(m, static_cast<double>(v));
    for (int j = 0; j < n; ++j)
      sum += ref[j] = std::exp(x[j] - m);
    for (auto& v : ref)
      v /= sum;
    if (avx2) {
      softmax_row_avx2(x.data(), n);
    } else {
      softmax_row_scalar(x.data(), n);
    }
    const double err = rel_error(x, ref);
    SAMP_CHECK_MSG(err < 2e-6, (avx2 ? "avx2" : "scalar") << " softmax n=" << n << ": " << err);
  }
}

void test_attention(bool avx2) {
  const int heads = 3, d = 5, h = heads * d, seq = 9;
  const int lengths[] = {9, 4, 1};
  const int batch = 3;
  std::vector<AttentionRow> rows;
  int start = 0;
  for (int b = 0; b < batch; ++b) {
    rows.push_back({start, seq, lengths[b]});  // padded queries computed too
    start += seq;
  }
  const int tokens = start;
  const auto qkv = random_vector(static_cast<std::size_t>(tokens) * 3 * h, 2.0f);
  std::vector<float> ctx(static_cast<std::size_t>(tokens) * h);
  std::vector<float> probs(static_cast<std::size_t>(batch) * heads * seq * seq, 0.0f);
  AttentionArgs args;
  args.qkv = qkv.data();
  args.ld_qkv = 3 * h;
  args.context = ctx.data();
  args.ld_context = h;
  args.heads = heads;
  args.head_dim = d;
  args.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  args.rows = rows.data();
  args.num_rows = batch;
  args.probs_out = probs.data();
  args.seq = seq;
  ThreadPool pool(2);
  attention(avx2 ? Fp32Isa::kAvx2 : Fp32Isa::kScalar, args, &pool);
  std::vector<double> ref(ctx.size());
  double worst_prob = 0;
  for (int b = 0; b < batch; ++b) {
    for (int hh = 0; hh < heads; ++hh) {
      for (int i = 0; i < seq; ++i) {
        const int qi = rows[b].start + i;
        std::vector<double> s(static_cast<std::size_t>(lengths[b]));
        double m = -1e300, sum = 0;
        for (int j = 0; j < lengths[b]; ++j) {
          const int kj = rows[b].start + j;
          double dot = 0;
          for (int c = 0; c < d; ++c)
            dot += static_cast<double>(qkv[qi * 3 * h + hh * d + c]) *
                   qkv[kj * 3 * h + h + hh * d + c];
          s[j] = dot / std::sqrt(static_cast<double>(d));
          m = std::max(m, s[j]);
        }
        for (auto& v : s)
          sum += v = std::exp(v - m);
        for (int j = 0; j < lengths[b]; ++j) {
          s[j] /= sum;
          const float p = probs[((b * heads + hh) * seq + i) * seq + j];
          worst_prob = std::max(worst_prob, std::fabs(p - s[j]));
        }
        for (int j = lengths[b]; j < seq; ++j) {
          SAMP_CHECK(probs[((b * heads + hh) * seq + i) * seq + j] == 0.0f);
        }
        for (int c = 0; c < d; ++c) {
          double o = 0;
          for (int j = 0; j < lengths[b]; ++j)
            o += s[j] * qkv[(rows[b].start + j) * 3 * h + 2 * h + hh * d + c];
          ref[qi * h + hh * d + c] = o;
        }
      }
    }
  }
  const double err = rel_error(ctx, ref);
  SAMP_CHECK_MSG(err < 2e-6, (avx2 ? "avx2" : "scalar") << " attention: " << err);
  SAMP_CHECK_MSG(worst_prob < 1e-6, "attention probabilities: " << worst_prob);
}

void test_thread_pool() {
  ThreadPool pool(4);
  for (int round = 0; round < 50; ++round) {
    std::vector<int> hits(1000, 0);
    pool.parallel_for(hits.size(), [&](std::size_t i) { ++hits[i]; });
    bool all_once = true;
    for (int v : hits)
      all_once = all_once && v == 1;
    SAMP_CHECK_MSG(all_once, "round " << round << ": a task ran other than once");
  }
  bool threw = false;
  try {
    pool.parallel_for(100, [](std::size_t i) {
      if (i == 37)
        throw std::runtime_error("task 37");
    });
  } catch (const std::runtime_error&) {
    threw = true;
  }
  SAMP_CHECK_MSG(threw, "an exception in a task reaches the caller");
  int after = 0;
  pool.parallel_for(1, [&](std::size_t) { ++after; });
  SAMP_CHECK(after == 1);
}

// The workspace's keep-or-free rule (workspace.h): small runs keep their buffers; a run leaving
// more than 64 MiB held, and more than twice what any of the previous 8 runs needed, frees
// everything after it; large runs that recur keep theirs. (Allocations are not touched, so these
// 100 MiB cost no resident memory.)
void test_workspace() {
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  Workspace ws;
  const auto run = [&ws](std::size_t hidden_mib, std::size_t ffn_mib) {
    ws.get<float>(Workspace::kHiddenA, hidden_mib * kMiB / sizeof(float));
    ws.get<int8_t>(Workspace::kFfn, ffn_mib * kMiB);
    return ws.end_run();
  };
  SAMP_CHECK(run(1, 1) == 2 * kMiB);
  SAMP_CHECK(run(1, 1) == 2 * kMiB);  // kept
  SAMP_CHECK(ws.bytes() == 2 * kMiB);
  SAMP_CHECK(run(50, 50) == 0);  // 100 MiB after runs of 2: freed
  SAMP_CHECK(run(1, 1) == 2 * kMiB);
  SAMP_CHECK(run(50, 50) == 100 * kMiB);  // one of the last 8 runs needed as much: kept
  SAMP_CHECK(run(50, 50) == 100 * kMiB);
  SAMP_CHECK(run(60, 50) == 110 * kMiB);  // growing a little: kept
  // Small runs after the burst: the 110 MiB stay until the big runs leave the 8-run history.
  for (int i = 0; i < Workspace::kHistory; ++i)
    SAMP_CHECK(run(1, 1) == 110 * kMiB);
  SAMP_CHECK(run(1, 1) == 0);
  SAMP_CHECK(run(1, 1) == 2 * kMiB);
  // Under 64 MiB nothing is freed, however it compares with the history.
  SAMP_CHECK(run(30, 30) == 60 * kMiB);
  SAMP_CHECK(run(1, 1) == 60 * kMiB);
  ws.release();
  SAMP_CHECK(ws.bytes() == 0);
}

}  // namespace

int main() {
  test_workspace();
  test_thread_pool();
  test_layer_norm(false);
  test_sgemm(false);
  test_activations(false);
  test_softmax(false);
  test_attention(false);
  if (hardware_fp32_isa() == Fp32Isa::kAvx2) {
    test_sgemm(true);
    test_avx2_matches_scalar();
    test_activations(true);
    test_softmax(true);
    test_attention(true);
    test_layer_norm(true);
  } else {
    std::printf(
        "cpu_fp32_kernels: this CPU lacks AVX2+FMA: only the scalar kernels were checked\n");
  }
  return samp::test::result("cpu_fp32_kernels");
}
