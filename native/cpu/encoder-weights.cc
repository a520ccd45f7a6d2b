#include "cpu/encoder-weights.h"

#include <cmath>
#include <set>

#include "common/error.h"
#include "cpu/int8-linear.h"

namespace samp::cpu {
namespace {

const std::vector<float>& tensor(const WeightSet& set, const std::string& name,
                                 std::size_t elements) {
  const auto it = set.find(name);
  if (it == set.end())
    throw Error(codes::kInvalidArgument, "weights: tensor " + name + " is missing");
  if (it->second.size() != elements) {
    throw Error(codes::kInvalidArgument, "weights: tensor " + name + " has " +
                                             std::to_string(it->second.size()) +
                                             " elements, expected " + std::to_string(elements));
  }
  return it->second;
}

FloatBuffer copy(const std::vector<float>& v) {
  return FloatBuffer(v.begin(), v.end());
}

/// Per-channel weight scales given for `weight_name` (a QuantProfile's `weights`), or null.
const float* weight_scales(const WeightSet& set, const std::string& weight_name, int out) {
  const std::string name = weight_name + kWeightScalesSuffix;
  if (set.find(name) == set.end())
    return nullptr;
  return tensor(set, name, static_cast<std::size_t>(out)).data();
}

std::unique_ptr<LinearOp> make_linear(const float* w, const float* b, int out, int in,
                                      const float* scales, const GemmQuant& q) {
  if (q.int8)
    return std::make_unique<Int8Linear>(w, b, out, in, scales, q.input_scale);
  return std::make_unique<Fp32Linear>(w, b, out, in);
}

std::unique_ptr<LinearOp> linear(const WeightSet& set, const std::string& name, int out, int in,
                                 const GemmQuant& q = {}) {
  const auto& w = tensor(set, name + ".weight", static_cast<std::size_t>(out) * in);
  const auto& b = tensor(set, name + ".bias", static_cast<std::size_t>(out));
  return make_linear(w.data(), b.data(), out, in, weight_scales(set, name + ".weight", out), q);
}

std::unique_ptr<LayerWeights> build_layer(const EncoderConfig& c, const WeightSet& set, int source,
                                          const LayerQuant& quant) {
  const int h = c.hidden_size;
  const int i = c.intermediate_size;
  const std::string at = "layers." + std::to_string(source) + ".";
  auto layer = std::make_unique<LayerWeights>();
  // Q, K and V side by side: one [3H, H] GEMM per layer.
  std::vector<float> w(static_cast<std::size_t>(3) * h * h);
  std::vector<float> b(static_cast<std::size_t>(3) * h);
  std::vector<float> scales(static_cast<std::size_t>(3) * h);
  int given_scales = 0;
  const char* parts[3] = {"query", "key", "value"};
  for (int p = 0; p < 3; ++p) {
    const std::string name = at + "attention." + parts[p];
    const auto& pw = tensor(set, name + ".weight", static_cast<std::size_t>(h) * h);
    const auto& pb = tensor(set, name + ".bias", static_cast<std::size_t>(h));
    std::copy(pw.begin(), pw.end(), w.begin() + static_cast<std::ptrdiff_t>(p) * h * h);
    std::copy(pb.begin(), pb.end(), b.begin() + static_cast<std::ptrdiff_t>(p) * h);
    if (const float* s = weight_scales(set, name + ".weight", h)) {
      std::copy(s, s + h, scales.begin() + static_cast<std::ptrdiff_t>(p) * h);
      ++given_scales;
    }
  }
  if (given_scales != 0 && given_scales != 3) {
    throw Error(codes::kInvalidArgument, "weights: per-channel scales of " + at +
                                             "attention.{query,key,value}.weight must be given "
                                             "for all three or none");
  }
  layer->qkv =
      make_linear(w.data(), b.data(), 3 * h, h, given_scales ? scales.data() : nullptr, quant.qkv);
  layer->attention_output = linear(set, at + "attention.output", h, h, quant.attention_output);
  layer->ffn_intermediate = linear(set, at + "ffn.intermediate", i, h, quant.ffn_intermediate);
  layer->ffn_output = linear(set, at + "ffn.output", h, i, quant.ffn_output);
  layer->quant = quant;
  layer->attention_norm_weight = copy(tensor(set, at + "attention.norm.weight", h));
  layer->attention_norm_bias = copy(tensor(set, at + "attention.norm.bias", h));
  layer->ffn_norm_weight = copy(tensor(set, at + "ffn.norm.weight", h));
  layer->ffn_norm_bias = copy(tensor(set, at + "ffn.norm.bias", h));
  return layer;
}

}  // namespace

void check_config(const EncoderConfig& c) {
  const auto bad = [](const std::string& field, const std::string& why) {
    throw Error(codes::kInvalidArgument, "config: " + field + " " + why);
  };
  if (c.vocab_size <= 0)
    bad("vocabSize", "must be positive");
  if (c.hidden_size <= 0)
    bad("hiddenSize", "must be positive");
  if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0)
    bad("numAttentionHeads", "must divide hiddenSize");
  if (c.num_layers <= 0)
    bad("numHiddenLayers", "must be positive");
  if (c.intermediate_size <= 0)
    bad("intermediateSize", "must be positive");
  if (c.max_positions <= 0)
    bad("maxPositionEmbeddings", "must be positive");
  if (c.type_vocab_size < 0)
    bad("typeVocabSize", "must not be negative");
  if (c.embedding_size <= 0)
    bad("embeddingSize", "must be positive");
  if (!c.has_projection && c.embedding_size != c.hidden_size)
    bad("embeddingSize", "differs from hiddenSize but the model has no projection");
  // Finite too: an infinite epsilon makes every LayerNorm output zero.
  if (!(c.layer_norm_eps > 0.0f) || !std::isfinite(c.layer_norm_eps))
    bad("layerNormEps", "must be positive and finite");
  if (c.pad_token_id < 0)
    bad("padTokenId", "must not be negative");
  if (c.max_sequence_length() <= 0)
    bad("maxPositionEmbeddings", "leaves no position for a token");
  if (static_cast<int>(c.layer_sources.size()) != c.num_layers)
    bad("layerSources", "must have one entry per layer");
  for (int s : c.layer_sources) {
    if (s < 0 || s >= c.num_layers)
      bad("layerSources", "names a layer outside the model");
  }
  if (!c.layer_quant.empty() && static_cast<int>(c.layer_quant.size()) != c.num_layers)
    bad("layerQuant", "must have one entry per layer");
  // An input scale is 0 (dynamic) or a positive finite float; NaN, infinity or a negative scale
  // would quantize every value to the same code.
  const auto scale_ok = [](float s) { return s >= 0.0f && std::isfinite(s); };
  for (const LayerQuant& q : c.layer_quant) {
    const GemmQuant gemms[4] = {q.qkv, q.attention_output, q.ffn_intermediate, q.ffn_output};
    for (const GemmQuant& g : gemms) {
      if (g.int8 && !scale_ok(g.input_scale))
        bad("layerQuant", "has an input scale that is negative or not finite");
    }
    const AttentionQuant& a = q.attention;
    if (a.int8 && !(scale_ok(a.query_scale) && scale_ok(a.key_scale) && scale_ok(a.value_scale) &&
                    scale_ok(a.probs_scale)))
      bad("layerQuant", "has an attention scale that is negative or not finite");
  }
}

std::size_t linear_weight_bytes(const EncoderWeights& w) {
  std::size_t total = w.projection ? w.projection->bytes() : 0;
  for (const auto& l : w.distinct_layers) {
    total += l->qkv->bytes() + l->attention_output->bytes() + l->ffn_intermediate->bytes() +
             l->ffn_output->bytes();
  }
  return total;
}

EncoderWeights build_encoder_weights(const EncoderConfig& c, const WeightSet& set) {
  check_config(c);
  const std::size_t e = static_cast<std::size_t>(c.embedding_size);
  EncoderWeights w;
  w.word = copy(tensor(set, "embeddings.word", static_cast<std::size_t>(c.vocab_size) * e));
  w.position =
      copy(tensor(set, "embeddings.position", static_cast<std::size_t>(c.max_positions) * e));
  if (c.type_vocab_size > 0) {
    w.token_type =
        copy(tensor(set, "embeddings.token_type", static_cast<std::size_t>(c.type_vocab_size) * e));
  }
  w.embedding_norm_weight = copy(tensor(set, "embeddings.norm.weight", e));
  w.embedding_norm_bias = copy(tensor(set, "embeddings.norm.bias", e));
  if (c.has_projection)
    w.projection = linear(set, "embeddings.projection", c.hidden_size, c.embedding_size);
  if (!c.layer_quant.empty() && static_cast<int>(c.layer_quant.size()) != c.num_layers)
    throw Error(codes::kInvalidArgument, "config: layerQuant must have one entry per layer");
  // ALBERT's shared layers are built once per distinct (source, quantization): layers of a mixed
  // plan that share weights but not precisions or scales get their own copy.
  std::map<std::pair<int, LayerQuant>, const LayerWeights*> built;
  for (int l = 0; l < c.num_layers; ++l) {
    const int source = c.layer_sources[static_cast<std::size_t>(l)];
    const LayerQuant quant = c.quant_of(l);
    const auto key = std::make_pair(source, quant);
    auto it = built.find(key);
    if (it == built.end()) {
      w.distinct_layers.push_back(build_layer(c, set, source, quant));
      it = built.emplace(key, w.distinct_layers.back().get()).first;
    }
    w.layers.push_back(it->second);
  }
  return w;
}

}  // namespace samp::cpu
