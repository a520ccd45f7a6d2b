// Micro-benchmark of the INT8 GEMM: GOPS (2·M·N·K / time) per ISA this CPU runs, single- and
// multi-threaded, with the dequantizing epilogue (fp32 out, bias), against an fp32 SGEMM floor
// (AVX2+FMA, and AVX-512 where the CPU has it) on the same shapes and the same thread split.
//
//   bench_int8_gemm [--threads N]... [--min-time S] [--shape MxNxK]... [--isa NAME]... [--no-fp32]
//
// --isa restricts the int8 kernels measured (default: every ISA this CPU runs); --no-fp32 skips
// the fp32 floor (then the "x fp32" column is empty).
//
// Default shapes: 1536x1024x256 (32·48 tokens, a small projection) and 4096x3072x768 (BERT-base
// FFN up-projection); default threads: 1 and the hardware concurrency.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "int8-gemm.h"

namespace samp_bench {
void sgemm_avx2_range(const float* a, std::size_t lda, const float* bp, std::size_t n, std::size_t k,
                      const float* bias, float* c, std::size_t ldc, std::size_t m0, std::size_t m1,
                      std::size_t n0, std::size_t n1);
void sgemm_avx512_range(const float* a, std::size_t lda, const float* bp, std::size_t n,
                        std::size_t k, const float* bias, float* c, std::size_t ldc, std::size_t m0,
                        std::size_t m1, std::size_t n0, std::size_t n1);
}  // namespace samp_bench

namespace {

using samp::Int8Isa;
namespace i8 = samp::int8;

/// A persistent pool: the caller plus threads-1 workers pull task indices from a counter.
class Pool {
 public:
  explicit Pool(std::size_t threads) : threads_(threads) {
    for (std::size_t t = 1; t < threads; ++t) workers_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  std::size_t threads() const { return threads_; }
  void run(std::size_t tasks, const std::function<void(std::size_t)>& body) {
    if (threads_ <= 1 || tasks <= 1) {
      for (std::size_t i = 0; i < tasks; ++i) body(i);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      body_ = &body;
      tasks_ = tasks;
      next_ = 0;
      busy_ = workers_.size();
      ++generation_;
    }
    cv_.notify_all();
    drain();
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [this] { return busy_ == 0; });
  }
  i8::ParallelFor parallel_for() {
    return [this](std::size_t tasks, const std::function<void(std::size_t)>& body) { run(tasks, body); };
  }

 private:
  void drain() {
    for (std::size_t i = next_++; i < tasks_; i = next_++) (*body_)(i);
  }
  void work() {
    std::size_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      drain();
      {
        std::lock_guard<std::mutex> lock(mu_);
        --busy_;
      }
      done_cv_.notify_one();
    }
  }
  std::size_t threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(std::size_t)>* body_ = nullptr;
  std::size_t tasks_ = 0;
  std::atomic<std::size_t> next_{0};
  std::size_t busy_ = 0;
  std::size_t generation_ = 0;
  bool stop_ = false;
};

/// Best time of repeated calls (at least 3, and at least min_time seconds in all).
double time_best(const std::function<void()>& fn, double min_time) {
  fn();  // warm-up (page faults, scratch buffers)
  double best = 1e30, total = 0;
  int reps = 0;
  while (reps < 3 || total < min_time) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
    total += s;
    ++reps;
  }
  return best;
}

struct Shape {
  std::size_t m, n, k;
};

/// The same row × column split the int8 driver uses, for the fp32 floor.
void split_run(Pool& pool, std::size_t m, std::size_t n,
               const std::function<void(std::size_t, std::size_t, std::size_t, std::size_t)>& range) {
  const std::size_t threads = pool.threads();
  if (threads <= 1) {
    range(0, m, 0, n);
    return;
  }
  const std::size_t rows_per = std::max<std::size_t>(96, (m + threads * 2 - 1) / (threads * 2) / 96 * 96);
  const std::size_t cols_per = std::min<std::size_t>(256, (n + 31) / 32 * 32);
  const std::size_t rt = (m + rows_per - 1) / rows_per;
  const std::size_t ct = (n + cols_per - 1) / cols_per;
  pool.run(rt * ct, [&](std::size_t t) {
    const std::size_t m0 = (t / ct) * rows_per, n0 = (t % ct) * cols_per;
    range(m0, std::min(m, m0 + rows_per), n0, std::min(n, n0 + cols_per));
  });
}

struct Options {
  double min_time = 0.3;
  bool fp32 = true;
  std::vector<Int8Isa> isas;  // empty: all
};

void bench_shape(const Shape& s, Pool& pool, const Options& opt) {
  const double min_time = opt.min_time;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> a(s.m * s.k), w(s.n * s.k);
  for (auto& v : a) v = nd(rng);
  for (auto& v : w) v = 0.05f * nd(rng);
  const std::size_t npad = (s.n + 15) / 16 * 16;
  std::vector<float> bias(npad, 0.0f);
  for (std::size_t j = 0; j < s.n; ++j) bias[j] = 0.1f * nd(rng);
  const double ops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
  const std::size_t threads = pool.threads();

  // fp32 floor(s).
  std::vector<float> bp(npad * s.k, 0.0f);  // [N/16][K][16]
  for (std::size_t j = 0; j < s.n; ++j) {
    for (std::size_t kk = 0; kk < s.k; ++kk) bp[(j / 16) * s.k * 16 + kk * 16 + j % 16] = w[j * s.k + kk];
  }
  std::vector<float> c(s.m * s.n);
  const i8::IsaChoice& ch = i8::isa_choice();
  double fp32_gops = 0;
  const char* fp32_name = "none";
#if defined(SAMP_BENCH_FP32_AVX2)
  if (opt.fp32 && ch.features.avx2 && ch.features.fma && ch.features.os_avx) {
    const double t = time_best([&] {
      split_run(pool, s.m, s.n, [&](std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1) {
        samp_bench::sgemm_avx2_range(a.data(), s.k, bp.data(), s.n, s.k, bias.data(), c.data(), s.n, m0, m1, n0, n1);
      });
    }, min_time);
    fp32_gops = ops / t * 1e-9;
    fp32_name = "fp32-avx2";
    std::printf("| %zux%zux%zu | %zu | %-12s | %9.3f | %8.1f | %5.2f |\n", s.m, s.n, s.k, threads, fp32_name, t * 1e3,
                fp32_gops, 1.0);
  }
#endif
#if defined(SAMP_BENCH_FP32_AVX512)
  if (opt.fp32 && ch.features.avx512f && ch.features.fma && ch.features.os_avx512) {
    const double t = time_best([&] {
      split_run(pool, s.m, s.n, [&](std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1) {
        samp_bench::sgemm_avx512_range(a.data(), s.k, bp.data(), s.n, s.k, bias.data(), c.data(), s.n, m0, m1, n0, n1);
      });
    }, min_time);
    const double g = ops / t * 1e-9;
    std::printf("| %zux%zux%zu | %zu | %-12s | %9.3f | %8.1f | %5.2f |\n", s.m, s.n, s.k, threads, "fp32-avx512",
                t * 1e3, g, fp32_gops > 0 ? g / fp32_gops : 1.0);
    if (g > fp32_gops) {
      fp32_gops = g;
      fp32_name = "fp32-avx512";
    }
  }
#endif
  std::vector<float> ref = c;  // the best fp32 floor's result, to sanity-check the int8 one

  const i8::QuantizedWeights qw = i8::quantize_weights(w.data(), s.n, s.k, s.k);
  const i8::PackedWeights pw = i8::PackedWeights::pack(qw);
  std::vector<int8_t> qa(s.m * s.k);
  for (Int8Isa isa : {Int8Isa::kScalar, Int8Isa::kAvx2, Int8Isa::kAvxVnni, Int8Isa::kAvx512Vnni,
                      Int8Isa::kAmxInt8}) {
    if (!opt.isas.empty() && std::find(opt.isas.begin(), opt.isas.end(), isa) == opt.isas.end()) continue;
    if (!i8::isa_runnable(isa)) {
      std::printf("| %zux%zux%zu | %zu | %-12s | not run on this CPU | | |\n", s.m, s.n, s.k, threads,
                  samp::int8_isa_name(isa));
      continue;
    }
    const bool slow = isa == Int8Isa::kScalar;
    if (slow && ops > 5e9) {
      std::printf("| %zux%zux%zu | %zu | %-12s | skipped (scalar on a large shape) | | |\n", s.m, s.n, s.k,
                  threads, samp::int8_isa_name(isa));
      continue;
    }
    const float sa = i8::quantize_dynamic(a.data(), a.size(), qa.data(), isa);
    i8::GemmParams g;
    g.m = s.m;
    g.a = qa.data();
    g.lda = s.k;
    g.a_scale = sa;
    g.w = &pw;
    g.bias = bias.data();
    g.c = c.data();
    g.ldc = s.n;
    const i8::ParallelFor pf = pool.parallel_for();
    const double t = time_best([&] { i8::gemm(g, isa, pf, threads); }, slow ? 0.0 : min_time);
    // Dynamic activation quantization of A, timed apart (it runs once per GEMM input).
    std::vector<int8_t> qa2(qa.size());
    const double tq = time_best([&] { i8::quantize_dynamic(a.data(), a.size(), qa2.data(), isa); }, 0.0);
    double err = 0, mag = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
      err += (c[i] - ref[i]) * (c[i] - ref[i]);
      mag += ref[i] * ref[i];
    }
    const double gops = ops / t * 1e-9;
    char ratio[32] = "-";
    char rms[64] = "";
    if (fp32_gops > 0) {
      std::snprintf(ratio, sizeof ratio, "%5.2f", gops / fp32_gops);
      std::snprintf(rms, sizeof rms, "; rel. RMS vs fp32 %.4f", std::sqrt(err / (mag > 0 ? mag : 1)));
    }
    std::printf("| %zux%zux%zu | %zu | %-12s | %9.3f | %8.1f | %s | quantize A %.3f ms%s\n", s.m, s.n, s.k,
                threads, samp::int8_isa_name(isa), t * 1e3, gops, ratio, tq * 1e3, rms);
  }
  (void)fp32_name;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<Shape> shapes;
    std::vector<std::size_t> thread_counts;
    Options opt;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--threads" && i + 1 < argc) {
        thread_counts.push_back(static_cast<std::size_t>(std::max(1, std::atoi(argv[++i]))));
      } else if (arg == "--min-time" && i + 1 < argc) {
        opt.min_time = std::atof(argv[++i]);
      } else if (arg == "--no-fp32") {
        opt.fp32 = false;
      } else if (arg == "--isa" && i + 1 < argc) {
        const auto isa = samp::parse_int8_isa(argv[++i]);
        if (!isa) {
          std::fprintf(stderr, "unknown --isa %s\n", argv[i]);
          return 2;
        }
        opt.isas.push_back(*isa);
      } else if (arg == "--shape" && i + 1 < argc) {
        Shape s{};
        if (std::sscanf(argv[++i], "%zux%zux%zu", &s.m, &s.n, &s.k) != 3 || s.m == 0 || s.n == 0 || s.k == 0) {
          std::fprintf(stderr, "bad --shape %s (want MxNxK)\n", argv[i]);
          return 2;
        }
        shapes.push_back(s);
      } else {
        std::fprintf(stderr, "usage: %s [--threads N]... [--min-time S] [--shape MxNxK]... [--isa NAME]... [--no-fp32]\n",
                     argv[0]);
        return 2;
      }
    }
    if (shapes.empty()) shapes = {{1536, 1024, 256}, {4096, 3072, 768}};
    if (thread_counts.empty()) {
      thread_counts = {1};
      const std::size_t hc = std::thread::hardware_concurrency();
      if (hc > 1) thread_counts.push_back(hc);
    }
    const i8::IsaChoice& ch = i8::isa_choice();
    std::printf("cpu: %s; int8 isa chosen: %s (hardware %s); amx permission: %s\n", ch.features.brand.c_str(),
                samp::int8_isa_name(ch.isa), samp::int8_isa_name(ch.hardware), samp::amx_permission_name(ch.amx));
    std::printf("GEMM C[M,N] = A[M,K]·W[N,K]^T + bias, fp32 out; GOPS = 2MNK/best time; x = vs the best fp32 floor\n\n");
    std::printf("| MxNxK | threads | kernel | ms | GOPS | x fp32 |\n|---|---|---|---|---|---|\n");
    for (std::size_t t : thread_counts) {
      Pool pool(t);
      for (const Shape& s : shapes) bench_shape(s, pool, opt);
    }
    return 0;
  } catch (const samp::Error& e) {
    std::fprintf(stderr, "bench_int8_gemm: %s: %s\n", e.code().c_str(), e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_int8_gemm: %s\n", e.what());
  }
  return 1;
}
