#include "cpu/encoder.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "cpu/attention.h"
#include "cpu/embedding.h"
#include "cpu/int8-linear.h"
#include "cpu/layer-norm.h"

namespace samp::cpu {
namespace {

using codes::kInputTooLong;

[[noreturn]] void invalid(const std::string& field, const std::string& problem) {
  throw Error(codes::kInvalidArgument, field + ": " + problem);
}

/// The packed token layout of one run.
struct Packing {
  std::vector<AttentionRow> rows;
  std::vector<int32_t> ids, positions, types;
  std::vector<int> padded_index;  // packed token → index in the padded [batch, seq] layout
  int tokens = 0;
};

Packing pack(const EncoderConfig& c, const EncoderInput& in, bool compute_padding) {
  Packing p;
  p.rows.resize(static_cast<std::size_t>(in.batch));
  for (int b = 0; b < in.batch; ++b) {
    const std::size_t base = static_cast<std::size_t>(b) * in.seq;
    int len = 0;
    while (len < in.seq && in.mask[base + len] == 1)
      ++len;
    const int queries = compute_padding ? in.seq : len;
    p.rows[static_cast<std::size_t>(b)] = {p.tokens, queries, len};
    int counted = 0;  // non-padding ids so far (RoBERTa positions)
    for (int i = 0; i < queries; ++i) {
      const int32_t id = in.ids[base + i];
      int32_t position = i;
      if (c.padding_aware_positions) {
        if (id != c.pad_token_id)
          ++counted;
        position = id != c.pad_token_id ? c.pad_token_id + counted : c.pad_token_id;
      }
      if (position >= c.max_positions) {
        throw Error(kInputTooLong, "position id " + std::to_string(position) + " of row " +
                                       std::to_string(b) + " is outside the position table (" +
                                       std::to_string(c.max_positions) + " entries)");
      }
      p.ids.push_back(id);
      p.positions.push_back(position);
      p.types.push_back(in.types.empty() ? 0 : in.types[base + i]);
      p.padded_index.push_back(static_cast<int>(base) + i);
    }
    p.tokens += queries;
  }
  return p;
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

}  // namespace

void check_input(const EncoderConfig& c, const EncoderInput& in) {
  if (in.batch < 1)
    invalid("batchSize", "expected a positive integer, got " + std::to_string(in.batch));
  if (in.seq < 1)
    invalid("sequenceLength", "expected a positive integer, got " + std::to_string(in.seq));
  if (in.seq > c.max_sequence_length()) {
    throw Error(kInputTooLong, "sequenceLength has length " + std::to_string(in.seq) +
                                   ", over the limit of " +
                                   std::to_string(c.max_sequence_length()));
  }
  const std::size_t size = static_cast<std::size_t>(in.batch) * in.seq;
  if (in.ids.size() != size)
    invalid("inputIds",
            "has " + std::to_string(in.ids.size()) + " elements, expected " + std::to_string(size));
  if (in.mask.size() != size)
    invalid("attentionMask", "has " + std::to_string(in.mask.size()) + " elements, expected " +
                                 std::to_string(size));
  if (!in.types.empty() && in.types.size() != size)
    invalid("tokenTypeIds", "has " + std::to_string(in.types.size()) + " elements, expected " +
                                std::to_string(size));
  const int type_limit = std::max(c.type_vocab_size, 1);
  for (std::size_t i = 0; i < size; ++i) {
    if (in.ids[i] < 0 || in.ids[i] >= c.vocab_size) {
      invalid("inputIds[" + std::to_string(i) + "]", "token id " + std::to_string(in.ids[i]) +
                                                         " is outside the vocabulary (0…" +
                                                         std::to_string(c.vocab_size - 1) + ")");
    }
    if (in.mask[i] != 0 && in.mask[i] != 1)
      invalid("attentionMask[" + std::to_string(i) + "]",
              "expected 0 or 1, got " + std::to_string(in.mask[i]));
    if (!in.types.empty() && (in.types[i] < 0 || in.types[i] >= type_limit)) {
      invalid("tokenTypeIds[" + std::to_string(i) + "]",
              "token type id " + std::to_string(in.types[i]) + " is outside 0…" +
                  std::to_string(type_limit - 1));
    }
  }
  for (int b = 0; b < in.batch; ++b) {
    const std::size_t base = static_cast<std::size_t>(b) * in.seq;
    if (in.mask[base] != 1)
      invalid("attentionMask[" + std::to_string(base) + "]",
              "row " + std::to_string(b) + " must start with a real token");
    bool padded = false;
    for (int j = 1; j < in.seq; ++j) {
      if (in.mask[base + j] == 0) {
        padded = true;
      } else if (padded) {
        invalid("attentionMask[" + std::to_string(base + j) + "]",
                "row " + std::to_string(b) + " has a real token after padding");
      }
    }
  }
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
  const KernelContext ctx{isa_, &pool_, int8_isa_};
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

  // Per-call scratch, so a failed run leaves nothing behind in the session.
  FloatBuffer hidden_a(tokens * h), hidden_b(tokens * h);
  FloatBuffer qkv(tokens * 3 * h), context(tokens * h), ffn(tokens * inter);
  // INT8 data flow (static scales only): the layer's input, the FFN input and the FFN's
  // intermediate activation, quantized by their producers (see NOTES.md, "INT8 data flow").
  bool any_static = false;
  for (int l = 0; l < c.num_layers; ++l) {
    const LayerQuant& q = weights_.layers[static_cast<std::size_t>(l)]->quant;
    any_static = any_static || q.qkv.is_static() || q.ffn_intermediate.is_static() ||
                 q.ffn_output.is_static();
  }
  std::vector<int8_t> qx(any_static ? tokens * h : 0), qy(any_static ? tokens * h : 0);
  std::vector<int8_t> qffn(any_static ? tokens * inter : 0);
  bool x_quantized = false;  // qx holds x quantized with this layer's QKV input scale

  // Embeddings (+ projection).
  {
    FloatBuffer embedded(c.has_projection ? tokens * e : 0);
    float* dst = c.has_projection ? embedded.data() : hidden_a.data();
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
      weights_.projection->run(ctx, t, embedded.data(), e, hidden_a.data(), h, LinearEpilogue{},
                               nullptr);
    }
  }
  if (options.hidden_states)
    out.hidden_states.push_back(unpack(p, hidden_a.data(), h, h, batch, seq));

  float* x = hidden_a.data();  // the layer's input
  float* y = hidden_b.data();  // the attention block's output
  const int d = c.head_dim();
  for (int l = 0; l < c.num_layers; ++l) {
    const LayerWeights& w = *weights_.layers[static_cast<std::size_t>(l)];
    const std::string at = "layers." + std::to_string(l) + ".";
    const auto wants = [&](Tap tap) { return observe.wants(l, tap); };
    if (wants(Tap::kQkvInput))
      record(at + tap_name(Tap::kQkvInput), {batch, seq, h}, unpack(p, x, h, h, batch, seq));

    const LayerQuant& lq = w.quant;
    const LayerQuant next_q = l + 1 < c.num_layers
                                  ? weights_.layers[static_cast<std::size_t>(l) + 1]->quant
                                  : LayerQuant{};
    if (x_quantized) {
      const Int8Input in{qx.data(), h, lq.qkv.input_scale, nullptr};
      static_cast<const Int8Linear&>(*w.qkv).run_quantized(ctx, t, in, qkv.data(), 3 * h,
                                                           LinearEpilogue{}, nullptr);
    } else {
      w.qkv->run(ctx, t, x, h, qkv.data(), 3 * h, LinearEpilogue{}, nullptr);
    }
    x_quantized = false;
    const Tap qkv_taps[3] = {Tap::kQuery, Tap::kKey, Tap::kValue};
    for (int part = 0; part < 3; ++part) {
      if (wants(qkv_taps[part])) {
        record(at + tap_name(qkv_taps[part]), {batch, seq, h},
               unpack(p, qkv.data() + static_cast<std::size_t>(part) * h, 3 * h, h, batch, seq));
      }
    }

    std::vector<float> scores, probs;
    const std::size_t probs_size = static_cast<std::size_t>(batch) * c.num_heads * seq * seq;
    if (wants(Tap::kScores))
      scores.assign(probs_size, 0.0f);
    if (wants(Tap::kProbs))
      probs.assign(probs_size, 0.0f);
    AttentionArgs args;
    args.qkv = qkv.data();
    args.ld_qkv = 3 * h;
    args.context = context.data();
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
    const std::vector<int> attention_shape = {batch, c.num_heads, seq, seq};
    if (wants(Tap::kScores))
      record(at + tap_name(Tap::kScores), attention_shape, std::move(scores));
    if (wants(Tap::kProbs))
      record(at + tap_name(Tap::kProbs), attention_shape, std::move(probs));
    if (wants(Tap::kContext))
      record(at + tap_name(Tap::kContext), {batch, seq, h},
             unpack(p, context.data(), h, h, batch, seq));

    // Attention output: y = LayerNorm(context·Woᵀ + bo + x), normalised row block by row block.
    const float eps = c.layer_norm_eps;
    // With a static FFN input scale the LayerNorm's rows are quantized as soon as they are
    // normalised (the quantize fused into the producer), for the INT8 FFN GEMM.
    const bool y_quantized = lq.ffn_intermediate.is_static();
    const RowFinisher attention_norm = [&](int r0, int r1) {
      layer_norm_rows(y, h, h, r0, r1, w.attention_norm_weight.data(), w.attention_norm_bias.data(),
                      eps);
      if (y_quantized) {
        quantize_rows_static(nullptr, r1 - r0, h, y + static_cast<std::size_t>(r0) * h, h,
                             lq.ffn_intermediate.input_scale,
                             qy.data() + static_cast<std::size_t>(r0) * h, h, int8_isa_);
      }
    };
    LinearEpilogue residual_x;
    residual_x.residual = x;
    residual_x.ld_residual = h;
    w.attention_output->run(ctx, t, context.data(), h, y, h, residual_x, &attention_norm);
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
      std::vector<int8_t> q_local;
      std::vector<float> row_scales;
      Int8Input in{qy.data(), h, lq.ffn_intermediate.input_scale, nullptr};
      if (!y_quantized) {
        q_local.resize(tokens * h);
        row_scales.resize(tokens);
        in = op.quantize_input(ctx, t, y, h, q_local.data(), h, row_scales.data());
      }
      if (ffn_int8_flow) {
        op.run_to_int8(ctx, t, in, qffn.data(), inter, c.activation, lq.ffn_output.input_scale);
      } else {
        op.run_quantized(ctx, t, in, ffn.data(), inter, act, nullptr);
      }
    } else {
      w.ffn_intermediate->run(ctx, t, y, h, ffn.data(), inter, act, nullptr);
    }
    if (wants(Tap::kFfnOutputInput)) {
      if (ffn_int8_flow) {  // what the INT8 GEMM reads, dequantized
        const float s = lq.ffn_output.input_scale;
        for (std::size_t i = 0; i < tokens * inter; ++i)
          ffn[i] = static_cast<float>(qffn[i]) * s;
      }
      record(at + tap_name(Tap::kFfnOutputInput), {batch, seq, inter},
             unpack(p, ffn.data(), inter, inter, batch, seq));
    }
    // The next layer's INT8 QKV GEMM with a static scale reads qx, quantized here row block by
    // row block right after the LayerNorm.
    const bool quantize_next = next_q.qkv.is_static();
    const RowFinisher ffn_norm = [&](int r0, int r1) {
      layer_norm_rows(x, h, h, r0, r1, w.ffn_norm_weight.data(), w.ffn_norm_bias.data(), eps);
      if (quantize_next) {
        quantize_rows_static(nullptr, r1 - r0, h, x + static_cast<std::size_t>(r0) * h, h,
                             next_q.qkv.input_scale, qx.data() + static_cast<std::size_t>(r0) * h,
                             h, int8_isa_);
      }
    };
    LinearEpilogue residual_y;
    residual_y.residual = y;
    residual_y.ld_residual = h;
    // The layer's output overwrites x (its input is no longer needed).
    if (ffn_int8_flow) {
      const Int8Input in{qffn.data(), inter, lq.ffn_output.input_scale, nullptr};
      static_cast<const Int8Linear&>(*w.ffn_output)
          .run_quantized(ctx, t, in, x, h, residual_y, &ffn_norm);
    } else {
      w.ffn_output->run(ctx, t, ffn.data(), inter, x, h, residual_y, &ffn_norm);
    }
    x_quantized = quantize_next;
    if (options.hidden_states)
      out.hidden_states.push_back(unpack(p, x, h, h, batch, seq));
  }
  out.last_hidden_state = unpack(p, x, h, h, batch, seq);
  return out;
}

}  // namespace samp::cpu
