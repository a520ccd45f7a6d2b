// samp_cuda_profile: the CUDA encoder on a BERT-base-shaped model (12 layers, hidden 768, 12 heads,
// FFN 3072, seq 128) with seeded random weights, no Node needed. For each variant (a label and
// environment settings read when a session is made: SAMP_CUDA_ATTENTION, SAMP_CUDA_GEMM_TUNE, …) it
// prints the CUDA-graph median per batch, the per-op GPU time (eager, events after each op), the
// GEMM tunings, and the largest difference of its output from the first variant's. A variant
// whose label starts with "int8-full" runs every layer INT8 Fully-Quant (INT8 GEMMs and INT8
// attention with static scales; SAMP_CUDA_INT8_ATTENTION=generic picks the dp4a attention), one
// starting with "int8-first<k>" only the first k layers (the rest FP16, as the bench's curve).
//   samp_cuda_profile [--iters N] [--batches 1,32,128] [--profile] [--check-gelu] [--relu]
//                     [--concurrent K] [label:VAR=value,VAR=value ...]
// --relu: the model's FFN activation is ReLU instead of exact GELU (what GELU costs).
// --concurrent K: also time each batch as K equal parts on K sessions run at once from K host
// threads (each session on its own stream), wall time per whole batch beside one session's.
//   e.g. samp_cuda_profile --profile fp16 int8-full int8-full-dp4a:SAMP_CUDA_INT8_ATTENTION=generic
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "encoder.h"

using samp::cuda::Activation;
using samp::cuda::Encoder;
using samp::cuda::EncoderConfig;
using samp::cuda::EncoderInput;
using samp::cuda::GraphMode;
using samp::cuda::Precision;
using samp::cuda::RunOptions;
using samp::cuda::SessionOptions;
using samp::cuda::WeightSet;

namespace {

constexpr int kSeq = 128;
const char* const kKnobs[] = {"SAMP_CUDA_ATTENTION",
                              "SAMP_CUDA_GEMM_TUNE",
                              "SAMP_CUDA_GEMM_CANDIDATES",
                              "SAMP_CUDA_GEMM_COMPUTE",
                              "SAMP_CUDA_RESIDUAL_EPILOGUE",
                              "SAMP_CUDA_ACT_EPILOGUE",
                              "SAMP_CUDA_GELU_EPILOGUE",
                              "SAMP_CUDA_INT8_ATTENTION",
                              "SAMP_CUDA_FUSED_GEMM",
                              "SAMP_CUDA_FUSED_KERNEL",
                              "SAMP_CUDA_PDL",
                              "SAMP_CUDA_L2_PREFETCH",
                              "SAMP_CUDA_K_PARTS_OUT",
                              "SAMP_CUDA_K_PARTS_FFN2",
                              "SAMP_CUDA_ATTENTION_WHOLE"};

EncoderConfig bert_base(int layers, Activation act) {
  EncoderConfig c;
  c.vocab_size = 30522;
  c.hidden_size = 768;
  c.num_heads = 12;
  c.num_layers = layers;
  c.intermediate_size = 3072;
  c.max_positions = 512;
  c.type_vocab_size = 2;
  c.embedding_size = 768;
  c.activation = act;
  for (int i = 0; i < layers; ++i)
    c.layer_sources.push_back(i);
  return c;
}

/// Every layer INT8 Fully-Quant: the four Linears int8 × int8 → int32 and the attention in INT8,
/// with static input scales of about max|x| / 127 for the random model (weights N(0, 0.02²), so
/// LayerNorm outputs ~N(0, 1) reach ~5, projections of them (std √768 · 0.02 ≈ 0.55) ~2.8, the
/// near-uniform attention's context ~0.6); the weights' per-channel scales come from max|row|.
EncoderConfig int8_full(EncoderConfig c) {
  constexpr float kNormed = 5.0f / 127, kProjected = 2.8f / 127, kContext = 0.6f / 127;
  samp::cuda::LayerQuant q;
  q.qkv = {samp::cuda::GemmPrecision::kInt8, kNormed};
  q.attention_output = {samp::cuda::GemmPrecision::kInt8, kContext};
  q.ffn_intermediate = {samp::cuda::GemmPrecision::kInt8, kNormed};
  q.ffn_output = {samp::cuda::GemmPrecision::kInt8, kProjected};  // GELU of a projection
  q.attention.int8 = true;
  q.attention.query_scale = q.attention.key_scale = q.attention.value_scale = kProjected;
  c.layer_quant.assign(static_cast<std::size_t>(c.num_layers), q);
  return c;
}

/// The first k layers INT8 Fully-Quant (as int8_full), the rest in FP16: a mixed plan of the
/// latency curve (variants "int8-first<k>…").
EncoderConfig int8_first(EncoderConfig c, int k) {
  const samp::cuda::LayerQuant q = int8_full(c).layer_quant.front();
  c.layer_quant.assign(static_cast<std::size_t>(c.num_layers), samp::cuda::LayerQuant{});
  for (int l = 0; l < k && l < c.num_layers; ++l)
    c.layer_quant[static_cast<std::size_t>(l)] = q;
  return c;
}

/// The same scales with every Linear in FP8 E4M3 and the attention in FP16 (variants "fp8…").
EncoderConfig fp8_linears(EncoderConfig c) {
  c = int8_full(c);
  for (samp::cuda::LayerQuant& q : c.layer_quant) {
    for (samp::cuda::GemmQuant* g :
         {&q.qkv, &q.attention_output, &q.ffn_intermediate, &q.ffn_output})
      g->precision = samp::cuda::GemmPrecision::kFp8;
    q.attention = {};
  }
  return c;
}

WeightSet random_weights(const EncoderConfig& c) {
  std::mt19937 rng(0);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  WeightSet w;
  const auto fill = [&](const std::string& name, std::size_t n, float offset) {
    std::vector<float> v(n);
    for (float& x : v)
      x = offset + normal(rng);
    w.emplace(name, std::move(v));
  };
  const std::size_t h = c.hidden_size, inter = c.intermediate_size;
  fill("embeddings.word", static_cast<std::size_t>(c.vocab_size) * h, 0);
  fill("embeddings.position", static_cast<std::size_t>(c.max_positions) * h, 0);
  fill("embeddings.token_type", static_cast<std::size_t>(c.type_vocab_size) * h, 0);
  fill("embeddings.norm.weight", h, 1);
  fill("embeddings.norm.bias", h, 0);
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string at = "layers." + std::to_string(l) + ".";
    for (const char* part : {"query", "key", "value"}) {
      fill(at + "attention." + part + ".weight", h * h, 0);
      fill(at + "attention." + part + ".bias", h, 0);
    }
    fill(at + "attention.output.weight", h * h, 0);
    fill(at + "attention.output.bias", h, 0);
    fill(at + "attention.norm.weight", h, 1);
    fill(at + "attention.norm.bias", h, 0);
    fill(at + "ffn.intermediate.weight", inter * h, 0);
    fill(at + "ffn.intermediate.bias", inter, 0);
    fill(at + "ffn.output.weight", h * inter, 0);
    fill(at + "ffn.output.bias", h, 0);
    fill(at + "ffn.norm.weight", h, 1);
    fill(at + "ffn.norm.bias", h, 0);
  }
  return w;
}

EncoderInput batch_of(int batch, int vocab) {
  EncoderInput in;
  in.batch = batch;
  in.seq = kSeq;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> id(5, vocab - 1);
  for (int i = 0; i < batch * kSeq; ++i) {
    in.ids.push_back(id(rng));
    in.mask.push_back(1);
  }
  return in;
}

/// max |a − b| / max |b|.
double relative(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, ref = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    ref = std::max(ref, std::fabs(static_cast<double>(b[i])));
  }
  return ref > 0 ? diff / ref : diff;
}

void apply(const std::string& settings) {
  for (const char* knob : kKnobs)
    unsetenv(knob);
  std::size_t at = 0;
  while (at < settings.size()) {
    std::size_t end = settings.find(',', at);
    if (end == std::string::npos)
      end = settings.size();
    const std::string kv = settings.substr(at, end - at);
    const std::size_t eq = kv.find('=');
    if (eq != std::string::npos)
      setenv(kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), 1);
    at = end + 1;
  }
}

/// FP32 sessions of a 2-layer gelu_new model with and without cuBLASLt's GELU epilogue: the
/// epilogue must compute GELU's tanh form (what the fused path assumes).
void check_gelu(const WeightSet& weights) {
  const EncoderConfig c = bert_base(2, Activation::kGeluTanh);
  const EncoderInput in = batch_of(4, c.vocab_size);
  SessionOptions o;
  o.precision = Precision::kFp32;
  std::vector<float> outs[2];
  for (int i = 0; i < 2; ++i) {
    apply(i == 0 ? "" : "SAMP_CUDA_ACT_EPILOGUE=1");
    Encoder e(c, weights, o);
    const auto out = e.run(in, RunOptions{}).last_hidden_state;
    outs[i].assign(out.begin(), out.end());
  }
  std::printf("gelu_new FP32: cuBLASLt GELU epilogue vs own tanh kernel: %.3g (relative)\n",
              relative(outs[1], outs[0]));
}

/// Wall milliseconds per pass of `iters` passes of `batch` on one session (graph replays, each
/// waited for, as benchmark() runs them).
double wall_ms(Encoder& e, int batch, int vocab, int iters) {
  const EncoderInput in = batch_of(batch, vocab);
  e.benchmark(in, false, 3, 3);
  const auto t0 = std::chrono::steady_clock::now();
  e.benchmark(in, false, 0, iters);
  const std::chrono::duration<double, std::milli> d = std::chrono::steady_clock::now() - t0;
  return d.count() / iters;
}

/// Wall milliseconds per whole batch when `parts` sessions each run batch / parts at once from
/// their own threads (their streams overlap on the GPU).
double concurrent_wall_ms(const std::vector<Encoder*>& sessions, int batch, int vocab, int iters) {
  const int part = batch / static_cast<int>(sessions.size());
  const EncoderInput in = batch_of(part, vocab);
  for (Encoder* e : sessions)
    e->benchmark(in, false, 3, 3);  // graphs captured and tunings done one session at a time
  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (Encoder* e : sessions)
    threads.emplace_back([e, &in, iters] { e->benchmark(in, false, 0, iters); });
  for (auto& t : threads)
    t.join();
  const std::chrono::duration<double, std::milli> d = std::chrono::steady_clock::now() - t0;
  return d.count() / iters;
}

}  // namespace

/// GemmKind names for the tuning lines.
// Kinds 4…7: a fused-or-split choice for that GEMM kind (candidate #1 = the fused kernel).
const char* const kKindNames[8] = {"fp32",
                                   "fp16",
                                   "int8",
                                   "fp8 ",
                                   "fused fp32 vs split",
                                   "fused fp16 vs split",
                                   "fused int8 vs split",
                                   "fused fp8 vs split"};

int main(int argc, char** argv) {
  int iters = 50;
  int concurrent = 0;
  bool profile = false, gelu = false, relu = false;
  std::vector<int> batches = {1, 32, 128};
  std::vector<std::pair<std::string, std::string>> variants;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--iters" && i + 1 < argc) {
      iters = std::atoi(argv[++i]);
    } else if (a == "--profile") {
      profile = true;
    } else if (a == "--check-gelu") {
      gelu = true;
    } else if (a == "--concurrent" && i + 1 < argc) {
      concurrent = std::atoi(argv[++i]);
    } else if (a == "--relu") {
      relu = true;
    } else if (a == "--batches" && i + 1 < argc) {
      batches.clear();
      for (char* tok = std::strtok(argv[++i], ","); tok != nullptr; tok = std::strtok(nullptr, ","))
        batches.push_back(std::atoi(tok));
    } else {
      const std::size_t colon = a.find(':');
      variants.emplace_back(a.substr(0, colon),
                            colon == std::string::npos ? "" : a.substr(colon + 1));
    }
  }
  if (variants.empty())
    variants.emplace_back("default", "");
  try {
    const EncoderConfig c = bert_base(12, relu ? Activation::kRelu : Activation::kGelu);
    const WeightSet weights = random_weights(c);
    if (gelu)
      check_gelu(weights);
    std::vector<float> reference;
    std::printf("| variant | attention |");
    for (int b : batches)
      std::printf(" batch %d (ms) |", b);
    std::printf(" rel. diff vs first (batch 32) |\n|---|---|");
    for (std::size_t i = 0; i < batches.size(); ++i)
      std::printf("---:|");
    std::printf("---:|\n");
    std::string profiles;
    for (const auto& [label, settings] : variants) {
      apply(settings);
      SessionOptions o;
      o.precision = Precision::kFp16;
      o.graphs = GraphMode::kOn;
      const bool int8 = label.rfind("int8-full", 0) == 0;
      const bool fp8 = label.rfind("fp8", 0) == 0;
      const bool first = label.rfind("int8-first", 0) == 0;
      const EncoderConfig vc =
          int8    ? int8_full(c)
          : fp8   ? fp8_linears(c)
          : first ? int8_first(c, std::atoi(label.c_str() + std::strlen("int8-first")))
                  : c;
      Encoder e(vc, weights, o);
      // attention_kernel() names the float layers' kernel; the INT8 one is chosen per launch
      // (tensor cores for head_dim 64 unless SAMP_CUDA_INT8_ATTENTION=generic).
      const char* env_int8 = std::getenv("SAMP_CUDA_INT8_ATTENTION");
      const bool dp4a = env_int8 != nullptr && std::strcmp(env_int8, "generic") == 0;
      std::string row = "| " + label + " | " +
                        (int8 ? (dp4a ? "int8 dp4a" : "int8 tensor-core") : e.attention_kernel()) +
                        " |";
      for (int b : batches) {
        const auto r = e.benchmark(batch_of(b, c.vocab_size), false, 10, iters);
        char cell[64];
        std::snprintf(cell, sizeof cell, " %.3f |", r.median_ms);
        row += cell;
        if (profile) {
          const auto ops = e.profile(batch_of(b, c.vocab_size), false, 10);
          double total = 0;
          for (const auto& op : ops)
            total += op.ms;
          char line[160];
          std::snprintf(line, sizeof line, "\n%s, batch %d: eager total %.3f ms\n", label.c_str(),
                        b, total);
          profiles += line;
          for (const auto& op : ops) {
            std::snprintf(line, sizeof line, "  %-32s %8.3f ms  %5.1f%%  (%d launches)\n",
                          op.name.c_str(), op.ms, 100 * op.ms / total, op.count);
            profiles += line;
          }
        }
      }
      // Batch 32: 384 (row, head) pairs, so the 8-warp attention kernel runs.
      const auto run = e.run(batch_of(32, c.vocab_size), RunOptions{}).last_hidden_state;
      const std::vector<float> out(run.begin(), run.end());
      char cell[64];
      if (reference.empty()) {
        reference = out;
        std::snprintf(cell, sizeof cell, " (reference) |");
      } else {
        std::snprintf(cell, sizeof cell, " %.3g |", relative(out, reference));
      }
      row += cell;
      std::printf("%s\n", row.c_str());
      std::fflush(stdout);
      if (concurrent > 1) {
        std::vector<std::unique_ptr<Encoder>> more;
        std::vector<Encoder*> sessions = {&e};
        for (int i = 1; i < concurrent; ++i) {
          more.push_back(std::make_unique<Encoder>(vc, weights, o));
          sessions.push_back(more.back().get());
        }
        char line[200];
        for (int b : batches) {
          if (b % concurrent != 0)
            continue;
          const double one = wall_ms(e, b, c.vocab_size, iters);
          const double split = concurrent_wall_ms(sessions, b, c.vocab_size, iters);
          std::snprintf(line, sizeof line,
                        "  %s batch %d: one session %.3f ms wall, %d x batch %d at once %.3f ms "
                        "(%.2fx)\n",
                        label.c_str(), b, one, concurrent, b / concurrent, split, one / split);
          std::printf("%s", line);
          std::fflush(stdout);
        }
      }
      if (profile) {
        for (const auto& t : e.gemm_tunings()) {
          char line[200];
          if (t.kind >= 4) {
            std::snprintf(line, sizeof line,
                          "  timed %s %5d x %5d x %5d: split %.4f ms, fused %.4f ms (%.0f TFLOP/s)"
                          " -> %s\n",
                          kKindNames[t.kind & 7], t.m, t.n, t.k, t.heuristic_ms, t.best_ms,
                          2.0 * t.m * t.n * t.k / (t.best_ms * 1e9), t.chosen ? "fused" : "split");
            profiles += line;
            continue;
          }
          std::snprintf(
              line, sizeof line,
              "  tuned %s %5d x %5d x %5d ep %d res %d parts %d: %2d candidates, chose #%d: %.4f "
              "ms (#0 %.4f ms, %.0f TFLOP/s)\n",
              kKindNames[t.kind & 7], t.m, t.n, t.k, t.epilogue, t.residual ? 1 : 0, t.parts,
              t.candidates, t.chosen, t.best_ms, t.heuristic_ms,
              2.0 * t.m * t.n * t.k / (t.best_ms * 1e9));
          profiles += line;
        }
      }
    }
    std::printf("%s", profiles.c_str());
  } catch (const samp::Error& err) {
    std::fprintf(stderr, "error: %s\n", err.what());
    return 1;
  }
  return 0;
}
