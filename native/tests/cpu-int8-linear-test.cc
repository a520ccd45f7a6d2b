// The INT8 LinearOp of the CPU encoder (cpu/int8-linear.h) against a scalar reference of the same
// quantized arithmetic written here from the definitions (per-channel weights max|W[n,:]|/127,
// activations static or per-row dynamic, round half to even, int64 sums): the int32 products must
// be exact, so fp32 outputs (ReLU / none, bias, residual) and int8 requantized outputs are
// bit-identical; GELU outputs bit-identical to samp::int8::gemm on the reference's quantized
// operands. Then: every INT8 ISA this CPU runs and threaded runs give identical results; the
// finisher sees every row once; INT8 weights take about a quarter of FP32's; and a whole encoder
// with INT8 layers gives identical outputs with the scalar and the best INT8 kernels.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "common/error.h"
#include "cpu/attention-int8.h"
#include "cpu/attention.h"
#include "cpu/encoder.h"
#include "cpu/int8-linear.h"
#include "cpu/int8/int8-gemm.h"

using namespace samp;
using namespace samp::cpu;

namespace {

std::mt19937 rng(4321);

std::vector<float> random_vector(std::size_t n, float scale) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v)
    x = d(rng);
  return v;
}

// Round half to even without the FP environment: the definition, not the library's helper.
float rne(float x) {
  const float f = std::floor(x);
  const float diff = x - f;
  if (diff > 0.5f)
    return f + 1.0f;
  if (diff < 0.5f)
    return f;
  return std::fmod(f, 2.0f) == 0.0f ? f : f + 1.0f;
}

int8_t quantize_ref(float x, float inv_scale) {
  const float q = rne(x * inv_scale);
  return static_cast<int8_t>(std::fmax(-127.0f, std::fmin(127.0f, q)));
}

float absmax_ref(const float* x, int n) {
  float m = 0.0f;
  for (int i = 0; i < n; ++i)
    m = std::fmax(m, std::fabs(x[i]));
  return m;
}

struct RefQuant {
  std::vector<int8_t> qa, qw;
  std::vector<float> row_scale, w_scale;
};

RefQuant reference_quantize(const std::vector<float>& x, int m, int k, int ldx,
                            const std::vector<float>& w, int n, float static_scale) {
  RefQuant r;
  r.qw.resize(static_cast<std::size_t>(n) * k);
  r.w_scale.resize(static_cast<std::size_t>(n));
  for (int o = 0; o < n; ++o) {
    const float amax = absmax_ref(&w[static_cast<std::size_t>(o) * k], k);
    const float s = amax > 0.0f ? amax / 127.0f : 1.0f;
    r.w_scale[o] = s;
    const float inv = 1.0f / s;
    for (int j = 0; j < k; ++j)
      r.qw[static_cast<std::size_t>(o) * k + j] =
          quantize_ref(w[static_cast<std::size_t>(o) * k + j], inv);
  }
  r.qa.resize(static_cast<std::size_t>(m) * k);
  r.row_scale.resize(static_cast<std::size_t>(m));
  for (int i = 0; i < m; ++i) {
    const float* row = &x[static_cast<std::size_t>(i) * ldx];
    float s = static_scale;
    if (s == 0.0f) {
      const float amax = absmax_ref(row, k);
      s = amax > 0.0f ? amax / 127.0f : 1.0f;
    }
    r.row_scale[i] = s;
    const float inv = 1.0f / s;
    for (int j = 0; j < k; ++j)
      r.qa[static_cast<std::size_t>(i) * k + j] = quantize_ref(row[j], inv);
  }
  return r;
}

/// fp32 output of the reference: act(float(acc)·(sa·sw) + bias) + residual, act ∈ {none, relu}.
std::vector<float> reference_output(const RefQuant& r, int m, int n, int k, const float* bias,
                                    bool relu, const std::vector<float>& residual, int ldr) {
  std::vector<float> out(static_cast<std::size_t>(m) * n);
  for (int i = 0; i < m; ++i) {
    for (int o = 0; o < n; ++o) {
      int64_t acc = 0;
      for (int j = 0; j < k; ++j)
        acc += static_cast<int64_t>(r.qa[static_cast<std::size_t>(i) * k + j]) *
               r.qw[static_cast<std::size_t>(o) * k + j];
      const float scale = r.row_scale[i] * r.w_scale[o];
      float y = static_cast<float>(static_cast<int32_t>(acc)) * scale;
      if (bias != nullptr)
        y = y + bias[o];
      if (relu)
        y = y > 0.0f ? y : 0.0f;
      if (!residual.empty())
        y = y + residual[static_cast<std::size_t>(i) * ldr + o];
      out[static_cast<std::size_t>(i) * n + o] = y;
    }
  }
  return out;
}

std::vector<Int8Isa> runnable_isas() {
  std::vector<Int8Isa> isas;
  for (Int8Isa isa : {Int8Isa::kScalar, Int8Isa::kAvx2, Int8Isa::kAvxVnni, Int8Isa::kAvx512Vnni,
                      Int8Isa::kAmxInt8}) {
    if (int8::isa_runnable(isa))
      isas.push_back(isa);
    else
      std::printf("  int8 ISA %s: not run on this CPU\n", int8_isa_name(isa));
  }
  return isas;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void test_against_reference(ThreadPool* pool) {
  struct Shape {
    int m, n, k;
  };
  const Shape shapes[] = {{1, 16, 64}, {48, 96, 32}, {7, 33, 70}, {130, 64, 256}, {200, 48, 17}};
  for (const Shape& sh : shapes) {
    const int ldx = sh.k + 3;  // a strided input
    const auto w = random_vector(static_cast<std::size_t>(sh.n) * sh.k, 0.05f);
    const auto bias = random_vector(static_cast<std::size_t>(sh.n), 0.1f);
    auto x = random_vector(static_cast<std::size_t>(sh.m) * ldx, 1.0f);
    if (sh.m > 3)  // an all-zero row: dynamic scale 1, zeros out
      std::fill(x.begin() + 2 * ldx, x.begin() + 2 * ldx + sh.k, 0.0f);
    const auto residual = random_vector(static_cast<std::size_t>(sh.m) * sh.n, 1.0f);
    for (float static_scale : {0.0f, 2.5f / 127.0f}) {  // dynamic; static clipping at 2.5
      Int8Linear op(w.data(), bias.data(), sh.n, sh.k, nullptr, static_scale);
      const RefQuant ref = reference_quantize(x, sh.m, sh.k, ldx, w, sh.n, static_scale);
      for (Int8Isa isa : runnable_isas()) {
        const KernelContext ctx{Fp32Isa::kScalar, pool, isa};
        for (bool relu : {false, true}) {
          for (bool with_residual : {false, true}) {
            LinearEpilogue ep;
            ep.activation = relu ? Activation::kRelu : Activation::kNone;
            if (with_residual) {
              ep.residual = residual.data();
              ep.ld_residual = sh.n;
            }
            std::vector<int> seen(static_cast<std::size_t>(sh.m), 0);
            const RowFinisher finish = [&](int r0, int r1) {
              for (int r = r0; r < r1; ++r)
                ++seen[static_cast<std::size_t>(r)];
            };
            std::vector<float> out(static_cast<std::size_t>(sh.m) * sh.n, -1.0f);
            op.run(ctx, sh.m, x.data(), ldx, out.data(), sh.n, ep, &finish);
            const auto expected =
                reference_output(ref, sh.m, sh.n, sh.k, bias.data(), relu,
                                 with_residual ? residual : std::vector<float>{}, sh.n);
            SAMP_CHECK_MSG(bit_equal(out, expected),
                           "m=" << sh.m << " n=" << sh.n << " k=" << sh.k
                                << " scale=" << static_scale << " isa=" << int8_isa_name(isa)
                                << " relu=" << relu << " residual=" << with_residual);
            bool once = true;
            for (int s : seen)
              once = once && s == 1;
            SAMP_CHECK_MSG(once, "finisher saw every row once, m=" << sh.m);
          }
        }
        // GELU: the same quantized operands through samp::int8::gemm (scalar) give the same bits.
        {
          LinearEpilogue ep;
          ep.activation = Activation::kGelu;
          std::vector<float> out(static_cast<std::size_t>(sh.m) * sh.n);
          op.run(ctx, sh.m, x.data(), ldx, out.data(), sh.n, ep, nullptr);
          const auto packed = int8::PackedWeights::pack(
              ref.qw.data(), static_cast<std::size_t>(sh.n), static_cast<std::size_t>(sh.k),
              static_cast<std::size_t>(sh.k), ref.w_scale.data());
          int8::GemmParams p;
          p.m = static_cast<std::size_t>(sh.m);
          p.a = ref.qa.data();
          p.lda = static_cast<std::size_t>(sh.k);
          if (static_scale > 0.0f)
            p.a_scale = static_scale;
          else
            p.a_row_scales = ref.row_scale.data();
          p.w = &packed;
          p.bias = bias.data();
          p.activation = int8::Activation::kGeluErf;
          std::vector<float> expected(static_cast<std::size_t>(sh.m) * sh.n);
          p.c = expected.data();
          p.ldc = static_cast<std::size_t>(sh.n);
          int8::gemm(p, Int8Isa::kScalar);
          SAMP_CHECK_MSG(bit_equal(out, expected),
                         "gelu m=" << sh.m << " isa=" << int8_isa_name(isa));
          // int8 output requantized for a consumer with a static scale.
          const float out_scale = 0.02f;
          std::vector<int8_t> q(static_cast<std::size_t>(sh.m) * sh.n);
          std::vector<float> row_scales(static_cast<std::size_t>(sh.m));
          std::vector<int8_t> qa(static_cast<std::size_t>(sh.m) * sh.k);
          const Int8Input in =
              op.quantize_input(ctx, sh.m, x.data(), ldx, qa.data(), sh.k, row_scales.data());
          SAMP_CHECK_MSG(qa == ref.qa,
                         "quantized input m=" << sh.m << " isa=" << int8_isa_name(isa));
          op.run_to_int8(ctx, sh.m, in, q.data(), sh.n, Activation::kGelu, out_scale);
          bool same = true;
          for (std::size_t i = 0; i < q.size(); ++i)
            same = same && q[i] == quantize_ref(expected[i], 1.0f / out_scale);
          SAMP_CHECK_MSG(same, "int8 out m=" << sh.m << " isa=" << int8_isa_name(isa));
        }
      }
    }
  }
}

void test_memory() {
  const int n = 1024, k = 256;
  const auto w = random_vector(static_cast<std::size_t>(n) * k, 0.05f);
  const auto b = random_vector(static_cast<std::size_t>(n), 0.1f);
  const Int8Linear q(w.data(), b.data(), n, k, nullptr, 0.0f);
  const Fp32Linear f(w.data(), b.data(), n, k);
  const double ratio = static_cast<double>(q.bytes()) / static_cast<double>(f.bytes());
  SAMP_CHECK_MSG(ratio > 0.24 && ratio < 0.27, "int8/fp32 weight bytes " << ratio);
}

// A 3-layer random encoder: layer 0 int8-full with static scales (INT8 attention included),
// layer 1 int8-ffn dynamic, layer 2 int8-full dynamic (INT8 attention, dynamic scales); the INT8
// ISAs must give identical outputs (the FP32 parts run the same scalar kernels).
void test_encoder_isas() {
  EncoderConfig c;
  c.vocab_size = 50;
  c.hidden_size = 32;
  c.num_heads = 4;
  c.num_layers = 3;
  c.intermediate_size = 64;
  c.max_positions = 16;
  c.type_vocab_size = 2;
  c.embedding_size = 32;
  c.layer_sources = {0, 1, 2};
  WeightSet set;
  const auto put = [&](const std::string& name, std::size_t size, float scale) {
    set[name] = random_vector(size, scale);
  };
  put("embeddings.word", 50 * 32, 1.0f);
  put("embeddings.position", 16 * 32, 1.0f);
  put("embeddings.token_type", 2 * 32, 1.0f);
  set["embeddings.norm.weight"] = std::vector<float>(32, 1.0f);
  put("embeddings.norm.bias", 32, 0.1f);
  for (int l = 0; l < 3; ++l) {
    const std::string at = "layers." + std::to_string(l) + ".";
    for (const char* p :
         {"attention.query", "attention.key", "attention.value", "attention.output"}) {
      put(at + p + ".weight", 32 * 32, 0.2f);
      put(at + p + ".bias", 32, 0.1f);
    }
    put(at + "ffn.intermediate.weight", 64 * 32, 0.2f);
    put(at + "ffn.intermediate.bias", 64, 0.1f);
    put(at + "ffn.output.weight", 32 * 64, 0.15f);
    put(at + "ffn.output.bias", 32, 0.1f);
    for (const char* norm : {"attention.norm", "ffn.norm"}) {
      set[at + norm + ".weight"] = std::vector<float>(32, 1.0f);
      put(at + norm + ".bias", 32, 0.1f);
    }
  }
  EncoderInput in;
  in.batch = 3;
  in.seq = 9;
  for (int i = 0; i < 27; ++i) {
    in.ids.push_back((i * 7 + 3) % 50);
    in.mask.push_back(i % 9 < 9 - (i / 9) * 3 ? 1 : 0);
  }
  // Static scales of layer 0 by max calibration on this input (the FP32 encoder's taps).
  RunOptions calibrate;
  calibrate.observe = {"layers.0.attention.qkv.input",    "layers.0.attention.context",
                       "layers.0.ffn.intermediate.input", "layers.0.ffn.output.input",
                       "layers.0.attention.query",        "layers.0.attention.key",
                       "layers.0.attention.value"};
  const EncoderOutput taps = Encoder(c, set, 1, Fp32Isa::kScalar).run(in, calibrate);
  float scales[7] = {};
  for (std::size_t t = 0; t < 7; ++t) {
    const auto& d = taps.observed[t].data;
    scales[t] = absmax_ref(d.data(), static_cast<int>(d.size())) / 127.0f;
  }
  LayerQuant full;
  full.qkv = {true, scales[0]};
  full.attention_output = {true, scales[1]};
  full.ffn_intermediate = {true, scales[2]};
  full.ffn_output = {true, scales[3]};
  full.attention = {true, scales[4], scales[5], scales[6], 0.0f};
  LayerQuant ffn;
  ffn.ffn_intermediate = {true, 0.0f};
  ffn.ffn_output = {true, 0.0f};
  LayerQuant dynamic = ffn;
  dynamic.qkv = {true, 0.0f};
  dynamic.attention_output = {true, 0.0f};
  dynamic.attention.int8 = true;
  c.layer_quant = {full, ffn, dynamic};
  RunOptions options;
  options.hidden_states = true;
  std::vector<float> reference;
  for (Int8Isa isa : runnable_isas()) {
    Encoder e(c, set, 2, Fp32Isa::kScalar, isa);
    const EncoderOutput out = e.run(in, options);
    SAMP_CHECK(out.hidden_states.size() == 4);
    if (reference.empty()) {
      reference = out.last_hidden_state;
      // Sanity: close to the FP32 encoder (cosine), so the INT8 path computes the same function.
      EncoderConfig fc = c;
      fc.layer_quant.clear();
      Encoder f(fc, set, 2, Fp32Isa::kScalar, isa);
      const auto ref = f.run(in, options).last_hidden_state;
      double dot = 0, na = 0, nb = 0;
      for (std::size_t i = 0; i < ref.size(); ++i) {
        dot += static_cast<double>(ref[i]) * reference[i];
        na += static_cast<double>(ref[i]) * ref[i];
        nb += static_cast<double>(reference[i]) * reference[i];
      }
      const double cosine = dot / std::sqrt(na * nb);
      SAMP_CHECK_MSG(cosine > 0.99, "encoder int8 vs fp32 cosine " << cosine);
      SAMP_CHECK_MSG(e.weight_bytes() < f.weight_bytes(),
                     "int8 " << e.weight_bytes() << " vs fp32 " << f.weight_bytes());
    } else {
      SAMP_CHECK_MSG(bit_equal(out.last_hidden_state, reference),
                     "encoder output with int8 ISA " << int8_isa_name(isa));
    }
  }
}

// --- INT8 attention -----------------------------------------------------------------------------

struct AttentionCase {
  bool part_int8[3];
  float scale[3];  // 0: dynamic
  bool context_int8;
};

/// attention_int8 on a padded batch (rows of 9, 4 and 1 real keys; the first computes its padded
/// queries too), every runnable ISA, serial and on a pool: bit-identical to the scalar ISA; scores
/// bit-identical to a reference from the definitions (exact int32 dot products of the reference's
/// quantized Q and K, dequantized as the GEMM does); probability codes within one of an fp64
/// softmax; context bit-identical to the exact int32 P·V of the run's own codes; and close to the
/// FP32 attention.
void test_attention_int8() {
  const int heads = 2, d = 64, h = heads * d, seq = 9;
  const std::vector<AttentionRow> rows = {{0, 9, 7}, {9, 4, 4}, {13, 1, 1}};
  const int tokens = 14;
  const auto qkv = random_vector(static_cast<std::size_t>(tokens) * 3 * h, 1.0f);
  // Max calibration of each part (static scales), and int8 copies as the QKV epilogue writes them.
  float calib[3];
  std::vector<int8_t> qkv8(qkv.size());
  for (int part = 0; part < 3; ++part) {
    float m = 0;
    for (int t = 0; t < tokens; ++t)
      m = std::fmax(m, absmax_ref(&qkv[static_cast<std::size_t>(t) * 3 * h + part * h], h));
    calib[part] = m / 127.0f;
    for (int t = 0; t < tokens; ++t)
      for (int j = 0; j < h; ++j) {
        const std::size_t i = static_cast<std::size_t>(t) * 3 * h + part * h + j;
        qkv8[i] = quantize_ref(qkv[i], 1.0f / calib[part]);
      }
  }
  const float probs_scale = 1.0f / 127.0f;
  // FP32 reference context (scalar kernels).
  std::vector<float> fp32_context(static_cast<std::size_t>(tokens) * h);
  {
    AttentionArgs f;
    f.qkv = qkv.data();
    f.ld_qkv = 3 * h;
    f.context = fp32_context.data();
    f.ld_context = h;
    f.heads = heads;
    f.head_dim = d;
    f.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
    f.rows = rows.data();
    f.num_rows = 3;
    attention(Fp32Isa::kScalar, f, nullptr);
  }
  const std::vector<AttentionCase> cases = {
      {{true, true, true}, {calib[0], calib[1], calib[2]}, false},
      {{true, true, true}, {calib[0], calib[1], calib[2]}, true},
      {{false, false, false}, {calib[0], calib[1], calib[2]}, false},
      {{false, false, false}, {0.0f, 0.0f, 0.0f}, false},
      {{true, false, false}, {calib[0], 0.0f, 0.0f}, true},
  };
  const float context_scale = 4.0f / 127.0f;
  ThreadPool pool(3);
  for (std::size_t ci = 0; ci < cases.size(); ++ci) {
    const AttentionCase& cs = cases[ci];
    std::vector<float> ref_context, ref_scores, ref_probs;
    std::vector<int8_t> ref_context8;
    for (Int8Isa isa : runnable_isas()) {
      for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &pool}) {
        Int8AttentionArgs a;
        a.qkv = qkv.data();
        a.ld_qkv = 3 * h;
        a.qkv8 = qkv8.data();
        a.ld_qkv8 = 3 * h;
        for (int part = 0; part < 3; ++part) {
          a.part_int8[part] = cs.part_int8[part];
          a.scale[part] = cs.scale[part];
        }
        a.probs_scale = probs_scale;
        std::vector<float> context(static_cast<std::size_t>(tokens) * h, -7.0f);
        std::vector<int8_t> context8(static_cast<std::size_t>(tokens) * h, -7);
        if (cs.context_int8) {
          a.context8 = context8.data();
          a.ld_context8 = h;
          a.context_scale = context_scale;
        } else {
          a.context = context.data();
          a.ld_context = h;
        }
        a.heads = heads;
        a.head_dim = d;
        a.rows = rows.data();
        a.num_rows = 3;
        const std::size_t obs = static_cast<std::size_t>(3) * heads * seq * seq;
        std::vector<float> scores(obs, 0.0f), probs(obs, 0.0f);
        a.scores_out = scores.data();
        a.probs_out = probs.data();
        a.seq = seq;
        attention_int8(isa, a, tp);
        if (ref_context.empty()) {
          ref_context = context;
          ref_context8 = context8;
          ref_scores = scores;
          ref_probs = probs;
        } else {
          SAMP_CHECK_MSG(bit_equal(context, ref_context) && context8 == ref_context8 &&
                             bit_equal(scores, ref_scores) && bit_equal(probs, ref_probs),
                         "int8 attention case " << ci << " isa " << int8_isa_name(isa)
                                                << (tp ? " threaded" : " serial"));
        }
      }
    }
    // The reference, per row and head, from the definitions.
    const float inv_sqrt_d = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
    bool scores_exact = true, codes_close = true, context_exact = true;
    double err2 = 0, ref2 = 0;
    for (int r = 0; r < 3; ++r) {
      const AttentionRow& row = rows[static_cast<std::size_t>(r)];
      for (int hd = 0; hd < heads; ++hd) {
        // Quantized operands [tokens of the row][d] with per-row scales.
        const auto operand = [&](int part, int count, std::vector<int8_t>& q,
                                 std::vector<float>& sc) {
          q.assign(static_cast<std::size_t>(count) * d, 0);
          sc.assign(static_cast<std::size_t>(count), 0.0f);
          for (int i = 0; i < count; ++i) {
            const std::size_t at =
                static_cast<std::size_t>(row.start + i) * 3 * h + part * h + hd * d;
            float s = cs.scale[part];
            if (s == 0.0f) {
              const float m = absmax_ref(&qkv[at], d);
              s = m > 0.0f ? m / 127.0f : 1.0f;
            }
            sc[static_cast<std::size_t>(i)] = s;
            for (int c = 0; c < d; ++c)
              q[static_cast<std::size_t>(i) * d + c] =
                  cs.part_int8[part] ? qkv8[at + c] : quantize_ref(qkv[at + c], 1.0f / s);
          }
        };
        std::vector<int8_t> q, k;
        std::vector<float> sq, sk;
        operand(0, row.queries, q, sq);
        operand(1, row.keys, k, sk);
        // V per channel (dynamic) or per tensor.
        std::vector<float> sv(static_cast<std::size_t>(d), cs.scale[2]);
        if (cs.scale[2] == 0.0f) {
          for (int c = 0; c < d; ++c) {
            float m = 0;
            for (int j = 0; j < row.keys; ++j)
              m = std::fmax(
                  m,
                  std::fabs(
                      qkv[static_cast<std::size_t>(row.start + j) * 3 * h + 2 * h + hd * d + c]));
            sv[static_cast<std::size_t>(c)] = m > 0.0f ? m / 127.0f : 1.0f;
          }
        }
        for (int i = 0; i < row.queries; ++i) {
          const std::size_t obs = ((static_cast<std::size_t>(r) * heads + hd) * seq + i) *
                                  static_cast<std::size_t>(seq);
          std::vector<double> e(static_cast<std::size_t>(row.keys));
          double mx = -1e300, sum = 0;
          for (int j = 0; j < row.keys; ++j) {
            int64_t acc = 0;
            for (int c = 0; c < d; ++c)
              acc +=
                  q[static_cast<std::size_t>(i) * d + c] * k[static_cast<std::size_t>(j) * d + c];
            const float sa = sq[static_cast<std::size_t>(i)] * inv_sqrt_d;
            const float score = static_cast<float>(static_cast<int32_t>(acc)) *
                                (sa * sk[static_cast<std::size_t>(j)]);
            scores_exact = scores_exact && ref_scores[obs + j] == score;
            e[static_cast<std::size_t>(j)] = score;
            mx = std::max(mx, static_cast<double>(score));
          }
          for (double& v : e) {
            v = std::exp(v - mx);
            sum += v;
          }
          std::vector<int> codes(static_cast<std::size_t>(row.keys));
          for (int j = 0; j < row.keys; ++j) {
            const double target = e[static_cast<std::size_t>(j)] / sum / probs_scale;
            const int code = static_cast<int>(std::lround(ref_probs[obs + j] / probs_scale));
            codes[static_cast<std::size_t>(j)] = code;
            codes_close = codes_close && std::fabs(code - target) <= 0.5 + 1e-3;
          }
          for (int c = 0; c < d; ++c) {
            int64_t acc = 0;
            for (int j = 0; j < row.keys; ++j) {
              const std::size_t at =
                  static_cast<std::size_t>(row.start + j) * 3 * h + 2 * h + hd * d + c;
              const int8_t v = cs.part_int8[2]
                                   ? qkv8[at]
                                   : quantize_ref(qkv[at], 1.0f / sv[static_cast<std::size_t>(c)]);
              acc += codes[static_cast<std::size_t>(j)] * v;
            }
            const float y = static_cast<float>(static_cast<int32_t>(acc)) *
                            (probs_scale * sv[static_cast<std::size_t>(c)]);
            const std::size_t out = static_cast<std::size_t>(row.start + i) * h + hd * d + c;
            if (cs.context_int8) {
              context_exact =
                  context_exact && ref_context8[out] == quantize_ref(y, 1.0f / context_scale);
            } else {
              context_exact = context_exact && ref_context[out] == y;
            }
            const double got =
                cs.context_int8 ? ref_context8[out] * context_scale : ref_context[out];
            err2 += (got - fp32_context[out]) * (got - fp32_context[out]);
            ref2 += static_cast<double>(fp32_context[out]) * fp32_context[out];
          }
        }
      }
    }
    SAMP_CHECK_MSG(scores_exact, "int8 attention scores vs reference, case " << ci);
    SAMP_CHECK_MSG(codes_close, "int8 attention probability codes vs fp64, case " << ci);
    SAMP_CHECK_MSG(context_exact, "int8 attention context vs exact P·V, case " << ci);
    const double rel = std::sqrt(err2 / ref2);
    std::printf("  int8 attention case %zu: relative RMS error vs FP32 %.4f\n", ci, rel);
    SAMP_CHECK_MSG(rel < 0.06, "int8 attention vs fp32, case " << ci << ": " << rel);
  }
  // Inconsistent arguments are refused.
  Int8AttentionArgs bad;
  bad.heads = heads;
  bad.head_dim = d;
  bad.rows = rows.data();
  bad.num_rows = 3;
  bad.part_int8[0] = true;  // int8 query without its buffer and scale
  std::vector<float> out(static_cast<std::size_t>(tokens) * h);
  bad.qkv = qkv.data();
  bad.context = out.data();
  bool threw = false;
  try {
    attention_int8(Int8Isa::kScalar, bad, nullptr);
  } catch (const samp::Error&) {
    threw = true;
  }
  SAMP_CHECK(threw);
}

/// run_split: the int8 columns equal run_to_int8's, the others run_quantized's fp32 output; with
/// many columns a pool also splits them (quantized input): identical to the serial result.
void test_run_split(ThreadPool* pool, int n) {
  const int m = 37, k = 40;
  const auto w = random_vector(static_cast<std::size_t>(n) * k, 0.1f);
  const auto bias = random_vector(static_cast<std::size_t>(n), 0.1f);
  const auto x = random_vector(static_cast<std::size_t>(m) * k, 1.0f);
  for (float static_scale : {0.0f, 2.0f / 127.0f}) {
    const Int8Linear op(w.data(), bias.data(), n, k, nullptr, static_scale);
    for (Int8Isa isa : runnable_isas()) {
      const KernelContext ctx{Fp32Isa::kScalar, pool, isa};
      std::vector<int8_t> qa(static_cast<std::size_t>(m) * k);
      std::vector<float> scales(static_cast<std::size_t>(m));
      const Int8Input in = op.quantize_input(ctx, m, x.data(), k, qa.data(), k, scales.data());
      std::vector<float> full(static_cast<std::size_t>(m) * n);
      op.run_quantized(ctx, m, in, full.data(), n, LinearEpilogue{}, nullptr);
      std::vector<float> serial(full.size());
      op.run_quantized(KernelContext{Fp32Isa::kScalar, nullptr, isa}, m, in, serial.data(), n,
                       LinearEpilogue{}, nullptr);
      SAMP_CHECK_MSG(bit_equal(full, serial), "pooled vs serial n=" << n);
      const float s8 = 0.03f;
      std::vector<int8_t> full8(static_cast<std::size_t>(m) * n);
      op.run_to_int8(ctx, m, in, full8.data(), n, Activation::kNone, s8);
      const Int8Columns split[2] = {{0, 16, s8}, {32, 48, s8}};
      for (bool quantized_input : {false, true}) {
        std::vector<float> out(static_cast<std::size_t>(m) * n, -9.0f);
        std::vector<int8_t> out8(static_cast<std::size_t>(m) * n, -9);
        op.run_split(ctx, m, x.data(), k, quantized_input ? &in : nullptr, out.data(), n,
                     out8.data(), n, split, 2);
        bool same = true;
        for (int i = 0; i < m; ++i) {
          for (int j = 0; j < n; ++j) {
            const std::size_t at = static_cast<std::size_t>(i) * n + j;
            if (j < 16 || (j >= 32 && j < 48))  // the int8 columns of `split`
              same = same && out8[at] == full8[at] && out[at] == -9.0f;
            else
              same = same && out[at] == full[at] && out8[at] == -9;
          }
        }
        SAMP_CHECK_MSG(same, "run_split scale=" << static_scale << " isa=" << int8_isa_name(isa)
                                                << " quantized input=" << quantized_input);
      }
    }
  }
}

}  // namespace

int main() {
  test_against_reference(nullptr);
  ThreadPool pool(3);
  test_against_reference(&pool);
  test_memory();
  test_encoder_isas();
  test_attention_int8();
  test_run_split(nullptr, 48);
  test_run_split(&pool, 48);
  test_run_split(&pool, 300);
  return samp::test::result("cpu_int8_linear");
}
