#include "cpu/encoder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include "common/encoder-input-check.h"
#include "common/error.h"
#include "common/token-packing.h"
#include "cpu/attention-int8.h"
#include "cpu/attention.h"
#include "cpu/embedding.h"
#include "cpu/int8-linear.h"
#include "cpu/layer-norm.h"

namespace samp::cpu {
namespace {

using Packing = TokenPacking<AttentionRow>;

Packing pack(const EncoderConfig& c, const EncoderInput& in, bool compute_padding) {
  return pack_tokens<AttentionRow>(c, in, compute_padding);
}

/// Writes packed rows [tokens, width] into a zeroed padded tensor [batch, seq, width].
std::vector<float> unpack(const Packing& p, const float* packed, int ld, int width, int batch,
                          int seq) {
  std::vector<float> out(static_cast<std::size_t>(batch) * seq * width, 0.0f);
  for (int t = 0; t < p.tokens; ++t) {
    const float* src = packed + static_cast<std::size_t>(t) * ld;
    std::copy(src, src + width,
              out.begin() + static_cast<std::ptrdiff_t>(p.padded_index[t]) * width);
  }
  return out;
}

/// Charges the time since the previous lap to a stage of the profile (no-op without one).
class StageClock {
 public:
  explicit StageClock(RunProfile* profile) : profile_(profile) {
    if (profile_ != nullptr) {
      last_ = std::chrono::steady_clock::now();
      last_cpu_ = std::clock();
    }
  }
  void lap(RunProfile::Stage stage) {
    if (profile_ == nullptr)
      return;
    const auto now = std::chrono::steady_clock::now();
    const std::clock_t cpu = std::clock();
    profile_->ms[stage] += std::chrono::duration<double, std::milli>(now - last_).count();
    profile_->cpu_ms[stage] += 1000.0 * static_cast<double>(cpu - last_cpu_) / CLOCKS_PER_SEC;
    last_ = now;
    last_cpu_ = cpu;
  }

 private:
  RunProfile* profile_;
  std::chrono::steady_clock::time_point last_;
  std::clock_t last_cpu_ = 0;
};

}  // namespace

const char* RunProfile::name(int stage) {
  static const char* const names[kStages] = {
      "embedding",        "qkv",        "attention", "attention.output",
      "ffn.intermediate", "ffn.output", "other"};
  return stage >= 0 && stage < kStages ? names[stage] : "?";
}

void check_run_size(const EncoderConfig& c, int batch, int seq) {
  samp::check_run_size(c, batch, seq);
}

void check_input(const EncoderConfig& c, const EncoderInput& in) {
  check_encoder_input(c, in);
}

Encoder::Encoder(const EncoderConfig& config, const WeightSet& weights, unsigned threads,
                 Fp32Isa isa, Int8Isa int8_isa)
    : config_(config),
      weights_(build_encoder_weights(config, weights)),
      isa_(isa),
      int8_isa_(int8_isa),
      pool_(threads) {}

EncoderOutput Encoder::run(const EncoderInput& input, const RunOptions& options) {
  const EncoderConfig& c = config_;
  check_input(c, input);
  const ObserveRequest observe = parse_observe(options.observe, c.num_layers);
  std::lock_guard<std::mutex> lock(run_mutex_);
  // Every run ends with Workspace::end_run (its need recorded, a huge workspace freed), thrown
  // or not.
  struct EndRun {
    Workspace& ws;
    bool done = false;
    ~EndRun() {
      if (!done)
        ws.end_run();
    }
  } end_run{workspace_};
  KernelContext ctx{isa_, &pool_, int8_isa_, nullptr};
  StageClock clock(options.profile);
  const Packing p = pack(c, input, options.compute_padding);
  const int t = p.tokens;
  const int h = c.hidden_size;
  const int e = c.embedding_size;
  const int inter = c.intermediate_size;
  const int batch = input.batch;
  const int seq = input.seq;
  const std::size_t tokens = static_cast<std::size_t>(t);

  EncoderOutput out;
  out.batch = batch;
  out.seq = seq;
  out.hidden = h;
  const auto record = [&](const std::string& name, std::vector<int> shape,
                          std::vector<float> data) {
    out.observed.push_back({name, std::move(shape), std::move(data)});
  };

  // Activation buffers live in the encoder's workspace (reused run after run, never zeroed).
  Workspace& ws = workspace_;
  float* hidden_a = ws.get<float>(Workspace::kHiddenA, tokens * h);
  float* hidden_b = ws.get<float>(Workspace::kHiddenB, tokens * h);
  float* qkv = ws.get<float>(Workspace::kQkv, tokens * 3 * h);
  float* context = ws.get<float>(Workspace::kContext, tokens * h);
  float* ffn = ws.get<float>(Workspace::kFfn, tokens * inter);
  // INT8 data flow: the layer's input, the FFN input and the FFN's intermediate activation
  // quantized by their producers (static scales), Q/K/V and the attention context likewise.
  int8_t* qx = ws.get<int8_t>(Workspace::kQx, tokens * h);
  int8_t* qy = ws.get<int8_t>(Workspace::kQy, tokens * h);
  int8_t* qffn = ws.get<int8_t>(Workspace::kQffn, tokens * inter);
  int8_t* qkv8 = ws.get<int8_t>(Workspace::kQkv8, tokens * 3 * h);
  int8_t* context8 = ws.get<int8_t>(Workspace::kContext8, tokens * h);
  float* row_scales = ws.get<float>(Workspace::kRowScales, tokens);
  ctx.workspace = &ws;
  bool x_quantized = false;  // qx holds x quantized with this layer's QKV input scale
  // int8 [tokens, width] (stride ld) dequantized with `scale`, in the padded layout: what an int8
  // GEMM reads, for the observed taps.
  const auto dequantized = [&](const int8_t* q, int ld, int width, float scale) {
    std::vector<float> f(tokens * width);
    for (std::size_t i = 0; i < tokens; ++i) {
      for (int j = 0; j < width; ++j)
        f[i * width + j] = static_cast<float>(q[i * ld + j]) * scale;
    }
    return unpack(p, f.data(), width, width, batch, seq);
  };

  clock.lap(RunProfile::kOther);
  // Embeddings (+ projection).
  {
    float* embedded = c.has_projection ? ws.get<float>(Workspace::kEmbedded, tokens * e) : nullptr;
    float* dst = c.has_projection ? embedded : hidden_a;
    EmbeddingTables tables;
    tables.word = weights_.word.data();
    tables.vocab = c.vocab_size;
    tables.position = weights_.position.data();
    tables.max_positions = c.max_positions;
    tables.token_type = c.type_vocab_size > 0 ? weights_.token_type.data() : nullptr;
    tables.type_vocab = c.type_vocab_size;
    tables.norm_weight = weights_.embedding_norm_weight.data();
    tables.norm_bias = weights_.embedding_norm_bias.data();
    tables.width = e;
    tables.eps = c.layer_norm_eps;
    embed_tokens(tables, p.ids.data(), p.positions.data(), p.types.data(), t, dst, &pool_);
    if (observe.embeddings_output)
      record("embeddings.output", {batch, seq, e}, unpack(p, dst, e, e, batch, seq));
    if (c.has_projection) {
      weights_.projection->run(ctx, t, embedded, e, hidden_a, h, LinearEpilogue{}, nullptr);
    }
  }
  if (options.hidden_states)
    out.hidden_states.push_back(unpack(p, hidden_a, h, h, batch, seq));
  clock.lap(RunProfile::kEmbedding);

  float* x = hidden_a;  // the layer's input
  float* y = hidden_b;  // the attention block's output
  const int d = c.head_dim();
  for (int l = 0; l < c.num_layers; ++l) {
    const LayerWeights& w = *weights_.layers[static_cast<std::size_t>(l)];
    const std::string at = "layers." + std::to_string(l) + ".";
    const auto wants = [&](Tap tap) { return observe.wants(l, tap); };
    if (wants(Tap::kQkvInput))
      record(at + tap_name(Tap::kQkvInput), {batch, seq, h}, unpack(p, x, h, h, batch, seq));

    const LayerQuant& lq = w.quant;
    const AttentionQuant& aq = lq.attention;
    const LayerQuant next_q = l + 1 < c.num_layers
                                  ? weights_.layers[static_cast<std::size_t>(l) + 1]->quant
                                  : LayerQuant{};
    // QKV. For the INT8 attention, the parts with a static scale leave the INT8 GEMM as int8
    // (requantized in its epilogue); the others as fp32, quantized by the attention itself.
    bool part_int8[3] = {false, false, false};
    const float part_scale[3] = {aq.query_scale, aq.key_scale, aq.value_scale};
    if (lq.qkv.int8) {
      const auto& op = static_cast<const Int8Linear&>(*w.qkv);
      const Int8Input in{qx, h, lq.qkv.input_scale, nullptr};
      Int8Columns split[3];
      int num_split = 0;
      if (aq.int8 && h % 16 == 0) {
        for (int part = 0; part < 3; ++part) {
          if (part_scale[part] > 0.0f) {
            split[num_split++] = {part * h, (part + 1) * h, part_scale[part]};
            part_int8[part] = true;
          }
        }
      }
      if (num_split > 0) {
        op.run_split(ctx, t, x, h, x_quantized ? &in : nullptr, qkv, 3 * h, qkv8, 3 * h, split,
                     num_split);
      } else if (x_quantized) {
        op.run_quantized(ctx, t, in, qkv, 3 * h, LinearEpilogue{}, nullptr);
      } else {
        op.run(ctx, t, x, h, qkv, 3 * h, LinearEpilogue{}, nullptr);
      }
    } else {
      w.qkv->run(ctx, t, x, h, qkv, 3 * h, LinearEpilogue{}, nullptr);
    }
    x_quantized = false;
    clock.lap(RunProfile::kQkv);
    const Tap qkv_taps[3] = {Tap::kQuery, Tap::kKey, Tap::kValue};
    for (int part = 0; part < 3; ++part) {
      if (!wants(qkv_taps[part]))
        continue;
      const std::size_t offset = static_cast<std::size_t>(part) * h;
      record(at + tap_name(qkv_taps[part]), {batch, seq, h},
             part_int8[part] ? dequantized(qkv8 + offset, 3 * h, h, part_scale[part])
                             : unpack(p, qkv + offset, 3 * h, h, batch, seq));
    }

    std::vector<float> scores, probs;
    const std::size_t probs_size = static_cast<std::size_t>(batch) * c.num_heads * seq * seq;
    if (wants(Tap::kScores))
      scores.assign(probs_size, 0.0f);
    if (wants(Tap::kProbs))
      probs.assign(probs_size, 0.0f);
    // The attention-output GEMM's static input scale lets the INT8 attention write int8.
    const bool context_int8 = aq.int8 && lq.attention_output.is_static();
    const float context_scale = lq.attention_output.input_scale;
    clock.lap(RunProfile::kOther);
    if (aq.int8) {
      Int8AttentionArgs args;
      args.qkv = qkv;
      args.ld_qkv = 3 * h;
      args.qkv8 = qkv8;
      args.ld_qkv8 = 3 * h;
      for (int part = 0; part < 3; ++part) {
        args.part_int8[part] = part_int8[part];
        args.scale[part] = part_scale[part];
      }
      args.probs_scale = aq.probs_scale > 0.0f ? aq.probs_scale : 1.0f / 127.0f;
      if (context_int8) {
        args.context8 = context8;
        args.ld_context8 = h;
        args.context_scale = context_scale;
      } else {
        args.context = context;
        args.ld_context = h;
      }
      args.heads = c.num_heads;
      args.head_dim = d;
      args.rows = p.rows.data();
      args.num_rows = batch;
      args.scores_out = scores.empty() ? nullptr : scores.data();
      args.probs_out = probs.empty() ? nullptr : probs.data();
      args.seq = seq;
      attention_int8(int8_isa_, args, &pool_);
    } else {
      AttentionArgs args;
      args.qkv = qkv;
      args.ld_qkv = 3 * h;
      args.context = context;
      args.ld_context = h;
      args.heads = c.num_heads;
      args.head_dim = d;
      args.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
      args.rows = p.rows.data();
      args.num_rows = batch;
      args.scores_out = scores.empty() ? nullptr : scores.data();
      args.probs_out = probs.empty() ? nullptr : probs.data();
      args.seq = seq;
      attention(isa_, args, &pool_);
    }
    clock.lap(RunProfile::kAttention);
    const std::vector<int> attention_shape = {batch, c.num_heads, seq, seq};
    if (wants(Tap::kScores))
      record(at + tap_name(Tap::kScores), attention_shape, std::move(scores));
    if (wants(Tap::kProbs))
      record(at + tap_name(Tap::kProbs), attention_shape, std::move(probs));
    if (wants(Tap::kContext))
      record(at + tap_name(Tap::kContext), {batch, seq, h},
             context_int8 ? dequantized(context8, h, h, context_scale)
                          : unpack(p, context, h, h, batch, seq));

    // Attention output: y = LayerNorm(context·Woᵀ + bo + x), normalised row block by row block.
    const float eps = c.layer_norm_eps;
    // With a static FFN input scale the LayerNorm's rows are quantized as soon as they are
    // normalised (the quantize fused into the producer), for the INT8 FFN GEMM.
    const bool y_quantized = lq.ffn_intermediate.is_static();
    const RowFinisher attention_norm = [&](int r0, int r1) {
      layer_norm_rows(isa_, y, h, h, r0, r1, w.attention_norm_weight.data(),
                      w.attention_norm_bias.data(), eps);
      if (y_quantized) {
        quantize_rows_static(nullptr, r1 - r0, h, y + static_cast<std::size_t>(r0) * h, h,
                             lq.ffn_intermediate.input_scale, qy + static_cast<std::size_t>(r0) * h,
                             h, int8_isa_);
      }
    };
    LinearEpilogue residual_x;
    residual_x.residual = x;
    residual_x.ld_residual = h;
    clock.lap(RunProfile::kOther);
    if (context_int8) {
      const Int8Input in{context8, h, context_scale, nullptr};
      static_cast<const Int8Linear&>(*w.attention_output)
          .run_quantized(ctx, t, in, y, h, residual_x, &attention_norm);
    } else {
      w.attention_output->run(ctx, t, context, h, y, h, residual_x, &attention_norm);
    }
    clock.lap(RunProfile::kAttentionOutput);
    if (wants(Tap::kFfnIntermediateInput))
      record(at + tap_name(Tap::kFfnIntermediateInput), {batch, seq, h},
             unpack(p, y, h, h, batch, seq));

    // FFN: activation in the first GEMM's epilogue; the second adds bias and residual, then
    // LayerNorm.
    LinearEpilogue act;
    act.activation = c.activation;
    // INT8 → INT8: the activation epilogue of the first FFN GEMM requantizes straight to the
    // second's static input scale.
    const bool ffn_int8_flow = lq.ffn_intermediate.int8 && lq.ffn_output.is_static();
    if (lq.ffn_intermediate.int8) {
      const auto& op = static_cast<const Int8Linear&>(*w.ffn_intermediate);
      Int8Input in{qy, h, lq.ffn_intermediate.input_scale, nullptr};
      if (!y_quantized)  // dynamic: per row, into qy (free in this layer)
        in = op.quantize_input(ctx, t, y, h, qy, h, row_scales);
      if (ffn_int8_flow) {
        op.run_to_int8(ctx, t, in, qffn, inter, c.activation, lq.ffn_output.input_scale);
      } else {
        op.run_quantized(ctx, t, in, ffn, inter, act, nullptr);
      }
    } else {
      w.ffn_intermediate->run(ctx, t, y, h, ffn, inter, act, nullptr);
    }
    clock.lap(RunProfile::kFfnIntermediate);
    if (wants(Tap::kFfnOutputInput)) {
      record(at + tap_name(Tap::kFfnOutputInput), {batch, seq, inter},
             ffn_int8_flow ? dequantized(qffn, inter, inter, lq.ffn_output.input_scale)
                           : unpack(p, ffn, inter, inter, batch, seq));
    }
    // The next layer's INT8 QKV GEMM with a static scale reads qx, quantized here row block by
    // row block right after the LayerNorm.
    clock.lap(RunProfile::kOther);
    const bool quantize_next = next_q.qkv.is_static();
    const RowFinisher ffn_norm = [&](int r0, int r1) {
      layer_norm_rows(isa_, x, h, h, r0, r1, w.ffn_norm_weight.data(), w.ffn_norm_bias.data(), eps);
      if (quantize_next) {
        quantize_rows_static(nullptr, r1 - r0, h, x + static_cast<std::size_t>(r0) * h, h,
                             next_q.qkv.input_scale, qx + static_cast<std::size_t>(r0) * h, h,
                             int8_isa_);
      }
    };
    LinearEpilogue residual_y;
    residual_y.residual = y;
    residual_y.ld_residual = h;
    // The layer's output overwrites x (its input is no longer needed).
    if (ffn_int8_flow) {
      const Int8Input in{qffn, inter, lq.ffn_output.input_scale, nullptr};
      static_cast<const Int8Linear&>(*w.ffn_output)
          .run_quantized(ctx, t, in, x, h, residual_y, &ffn_norm);
    } else {
      w.ffn_output->run(ctx, t, ffn, inter, x, h, residual_y, &ffn_norm);
    }
    x_quantized = quantize_next;
    clock.lap(RunProfile::kFfnOutput);
    if (options.hidden_states)
      out.hidden_states.push_back(unpack(p, x, h, h, batch, seq));
  }
  out.last_hidden_state = unpack(p, x, h, h, batch, seq);
  out.workspace_bytes = ws.end_run();
  end_run.done = true;
  clock.lap(RunProfile::kOther);
  return out;
}

}  // namespace samp::cpu
