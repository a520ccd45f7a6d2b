// bench_encoder: times the CPU encoder (samp::cpu::Encoder) on random weights of a given BERT
// shape, with a per-stage breakdown (RunProfile) and CPU time per run, for profiling without
// Node. Random weights are enough for speed: the kernels do the same work whatever the values.
//
//   bench_encoder [--layers 4] [--hidden 256] [--heads 4] [--inter 1024] [--batch 32] [--seq 48]
//                 [--threads 2] [--runs 20] [--mode fp32|int8|int8-static|int8-ffn|all]
//                 [--int8-isa NAME] [--profile]
//
// int8 = Fully-Quant (int8-full) on every layer with dynamic per-row scales; int8-static = the
// same with scales by max calibration on one FP32 run of the benchmark's own input (every tap,
// the attention taps included); int8-ffn = Quant-FFN-Only, dynamic. Prints one line per mode:
// median wall ms, CPU ms per run (process CPU time / runs), sequences per second.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "cpu/encoder.h"
#include "cpu/int8/int8-gemm.h"

using namespace samp;
using namespace samp::cpu;

namespace {

struct Args {
  int layers = 4, hidden = 256, heads = 4, inter = 1024, batch = 32, seq = 48;
  unsigned threads = 2;
  int runs = 20;
  std::string mode = "all";
  std::string int8_isa;
  bool profile = false;
};

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double wall_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

/// Resident set size of the process (Linux /proc/self/statm), 0 elsewhere.
double rss_mib() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr)
    return 0.0;
  long pages = 0, resident = 0;
  const int read = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return read == 2 ? static_cast<double>(resident) * 4096.0 / (1 << 20) : 0.0;
}

WeightSet random_weights(const EncoderConfig& c) {
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  WeightSet set;
  const auto put = [&](const std::string& name, std::size_t n, float scale) {
    std::vector<float> v(n);
    for (float& x : v)
      x = normal(rng) * scale;
    set[name] = std::move(v);
  };
  const std::size_t h = static_cast<std::size_t>(c.hidden_size);
  const std::size_t i = static_cast<std::size_t>(c.intermediate_size);
  put("embeddings.word", static_cast<std::size_t>(c.vocab_size) * h, 0.5f);
  put("embeddings.position", static_cast<std::size_t>(c.max_positions) * h, 0.5f);
  put("embeddings.token_type", 2 * h, 0.5f);
  set["embeddings.norm.weight"] = std::vector<float>(h, 1.0f);
  put("embeddings.norm.bias", h, 0.02f);
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string at = "layers." + std::to_string(l) + ".";
    for (const char* p :
         {"attention.query", "attention.key", "attention.value", "attention.output"}) {
      put(at + p + ".weight", h * h, 1.0f / std::sqrt(static_cast<float>(h)));
      put(at + p + ".bias", h, 0.02f);
    }
    put(at + "ffn.intermediate.weight", i * h, 1.0f / std::sqrt(static_cast<float>(h)));
    put(at + "ffn.intermediate.bias", i, 0.02f);
    put(at + "ffn.output.weight", h * i, 1.0f / std::sqrt(static_cast<float>(i)));
    put(at + "ffn.output.bias", h, 0.02f);
    for (const char* norm : {"attention.norm", "ffn.norm"}) {
      set[at + norm + ".weight"] = std::vector<float>(h, 1.0f);
      put(at + norm + ".bias", h, 0.02f);
    }
  }
  return set;
}

EncoderInput make_input(const EncoderConfig& c, int batch, int seq) {
  EncoderInput in;
  in.batch = batch;
  in.seq = seq;
  for (int b = 0; b < batch; ++b) {
    for (int s = 0; s < seq; ++s) {
      in.ids.push_back((b * 131 + s * 17 + 1) % c.vocab_size);
      in.mask.push_back(1);
    }
  }
  return in;
}

/// Max calibration of every layer tap on one FP32 run: scale = max|x| / 127.
std::vector<LayerQuant> calibrate(const EncoderConfig& c, const WeightSet& set,
                                  const EncoderInput& in, unsigned threads) {
  RunOptions o;
  const char* taps[] = {"attention.qkv.input",    "attention.query", "attention.key",
                        "attention.value",        "attention.probs", "attention.context",
                        "ffn.intermediate.input", "ffn.output.input"};
  for (int l = 0; l < c.num_layers; ++l)
    for (const char* t : taps)
      o.observe.push_back("layers." + std::to_string(l) + "." + t);
  Encoder fp32(c, set, threads, select_fp32_isa());
  const EncoderOutput out = fp32.run(in, o);
  const auto scale_of = [&](const std::string& name) {
    for (const ObservedTensor& t : out.observed) {
      if (t.name != name)
        continue;
      float m = 0.0f;
      for (float v : t.data)
        m = std::max(m, std::fabs(v));
      return m > 0.0f ? m / 127.0f : 1.0f;
    }
    throw Error(codes::kInvalidArgument, "no tap " + name);
  };
  std::vector<LayerQuant> q(static_cast<std::size_t>(c.num_layers));
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string at = "layers." + std::to_string(l) + ".";
    LayerQuant& lq = q[static_cast<std::size_t>(l)];
    lq.qkv = {true, scale_of(at + "attention.qkv.input")};
    lq.attention_output = {true, scale_of(at + "attention.context")};
    lq.ffn_intermediate = {true, scale_of(at + "ffn.intermediate.input")};
    lq.ffn_output = {true, scale_of(at + "ffn.output.input")};
    lq.attention.int8 = true;
    lq.attention.query_scale = scale_of(at + "attention.query");
    lq.attention.key_scale = scale_of(at + "attention.key");
    lq.attention.value_scale = scale_of(at + "attention.value");
    lq.attention.probs_scale = scale_of(at + "attention.probs");
  }
  return q;
}

void bench(const Args& a, const std::string& mode) {
  EncoderConfig c;
  c.vocab_size = 5000;
  c.hidden_size = a.hidden;
  c.num_heads = a.heads;
  c.num_layers = a.layers;
  c.intermediate_size = a.inter;
  c.max_positions = std::max(512, a.seq);
  c.type_vocab_size = 2;
  c.embedding_size = a.hidden;
  for (int l = 0; l < a.layers; ++l)
    c.layer_sources.push_back(l);
  WeightSet set = random_weights(c);
  const EncoderInput in = make_input(c, a.batch, a.seq);
  if (mode == "int8-static") {
    // Calibrated on up to 8 rows of the same kind (observing every tap of a large batch would
    // hold gigabytes of scores).
    c.layer_quant = calibrate(c, set, make_input(c, std::min(a.batch, 8), a.seq), a.threads);
  } else if (mode == "int8" || mode == "int8-ffn") {
    LayerQuant q;
    q.ffn_intermediate = {true, 0.0f};
    q.ffn_output = {true, 0.0f};
    if (mode == "int8") {
      q.qkv = {true, 0.0f};
      q.attention_output = {true, 0.0f};
      q.attention.int8 = true;
    }
    c.layer_quant.assign(static_cast<std::size_t>(a.layers), q);
  } else if (mode != "fp32") {
    throw Error(codes::kInvalidArgument, "--mode: unknown mode " + mode);
  }
  Int8Isa int8_isa = int8::active_isa();
  if (!a.int8_isa.empty()) {
    const auto parsed = parse_int8_isa(a.int8_isa);
    if (!parsed)
      throw Error(codes::kInvalidArgument, "--int8-isa: unknown ISA " + a.int8_isa);
    int8_isa = *parsed;
  }
  Encoder enc(c, set, a.threads, select_fp32_isa(), int8_isa);
  set.clear();  // as a session does: only the packed weights stay
  RunOptions o;
  o.compute_padding = false;
  for (int i = 0; i < 3; ++i)
    enc.run(in, o);  // warm-up
  RunProfile profile;
  if (a.profile)
    o.profile = &profile;
  std::vector<double> times;
  const double cpu0 = cpu_ms();
  for (int r = 0; r < a.runs; ++r) {
    const double t0 = wall_ms();
    enc.run(in, o);
    times.push_back(wall_ms() - t0);
  }
  const double cpu = (cpu_ms() - cpu0) / a.runs;
  std::sort(times.begin(), times.end());
  const double median = times[times.size() / 2];
  std::printf(
      "%-12s %s/%s %ut b%d x%d: median %.2f ms (min %.2f) | CPU %.2f ms/run | %.0f seq/s | "
      "weights %.2f MiB | workspace %.1f MiB | RSS %.0f MiB\n",
      mode.c_str(), fp32_isa_name(enc.isa()), int8_isa_name(enc.int8_isa()), enc.threads(), a.batch,
      a.seq, median, times.front(), cpu, a.batch * 1000.0 / median,
      static_cast<double>(enc.weight_bytes()) / (1 << 20),
      static_cast<double>(enc.workspace_bytes()) / (1 << 20), rss_mib());
  if (a.profile) {
    double total = 0;
    for (double ms : profile.cpu_ms)
      total += ms;
    for (int s = 0; s < RunProfile::kStages; ++s) {
      std::printf("    %-18s wall %7.3f ms/run | CPU %7.3f ms/run %5.1f%%\n", RunProfile::name(s),
                  profile.ms[s] / a.runs, profile.cpu_ms[s] / a.runs,
                  100.0 * profile.cpu_ms[s] / total);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    const auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--layers")
      a.layers = std::atoi(next());
    else if (k == "--hidden")
      a.hidden = std::atoi(next());
    else if (k == "--heads")
      a.heads = std::atoi(next());
    else if (k == "--inter")
      a.inter = std::atoi(next());
    else if (k == "--batch")
      a.batch = std::atoi(next());
    else if (k == "--seq")
      a.seq = std::atoi(next());
    else if (k == "--threads")
      a.threads = static_cast<unsigned>(std::atoi(next()));
    else if (k == "--runs")
      a.runs = std::atoi(next());
    else if (k == "--mode")
      a.mode = next();
    else if (k == "--int8-isa")
      a.int8_isa = next();
    else if (k == "--profile")
      a.profile = true;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    if (a.mode == "all") {
      for (const char* m : {"fp32", "int8", "int8-static", "int8-ffn"})
        bench(a, m);
    } else {
      bench(a, a.mode);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_encoder: %s\n", e.what());
    return 1;
  }
  return 0;
}
