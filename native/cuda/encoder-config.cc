#include "encoder-config.h"

#include <cmath>
#include <string>

#include "common/error.h"

namespace samp::cuda {
namespace {

[[noreturn]] void invalid(const std::string& field, const std::string& problem) {
  throw Error(codes::kInvalidArgument, "config." + field + ": " + problem);
}

void positive(int value, const char* field) {
  if (value < 1)
    invalid(field, "expected a positive integer, got " + std::to_string(value));
}

}  // namespace

void check_config(const EncoderConfig& c) {
  positive(c.vocab_size, "vocabSize");
  positive(c.hidden_size, "hiddenSize");
  positive(c.num_heads, "numAttentionHeads");
  positive(c.num_layers, "numHiddenLayers");
  positive(c.intermediate_size, "intermediateSize");
  positive(c.max_positions, "maxPositionEmbeddings");
  positive(c.embedding_size, "embeddingSize");
  if (c.type_vocab_size < 0)
    invalid("typeVocabSize", "expected 0 or more");
  if (c.hidden_size % c.num_heads != 0) {
    invalid("numAttentionHeads", std::to_string(c.num_heads) + " does not divide hiddenSize " +
                                     std::to_string(c.hidden_size));
  }
  if (c.head_dim() > kMaxHeadDim) {
    invalid("hiddenSize", "head size " + std::to_string(c.head_dim()) +
                              " is over the CUDA attention kernel's limit of " +
                              std::to_string(kMaxHeadDim));
  }
  if (!c.has_projection && c.embedding_size != c.hidden_size) {
    invalid("embeddingSize", "differs from hiddenSize but the model has no embedding projection");
  }
  if (c.max_sequence_length() < 1)
    invalid("padTokenId", "leaves no room in the position table");
  if (!(c.layer_norm_eps > 0.0f))
    invalid("layerNormEps", "expected a positive number");
  if (static_cast<int>(c.layer_sources.size()) != c.num_layers) {
    invalid("layerSources", "expected one entry per layer");
  }
  for (std::size_t i = 0; i < c.layer_sources.size(); ++i) {
    const int s = c.layer_sources[i];
    if (s < 0 || s > static_cast<int>(i)) {
      invalid("layerSources[" + std::to_string(i) + "]",
              "expected a layer index ≤ " + std::to_string(i) + ", got " + std::to_string(s));
    }
  }
  if (!c.layer_quant.empty() && static_cast<int>(c.layer_quant.size()) != c.num_layers)
    invalid("layerQuant", "expected one entry per layer");
  // Static scales only: a zero, negative, NaN or infinite scale would send every value to one code.
  const auto scale_ok = [](float s) { return s > 0.0f && std::isfinite(s); };
  for (std::size_t i = 0; i < c.layer_quant.size(); ++i) {
    const LayerQuant& q = c.layer_quant[i];
    const std::string at = "layerQuant[" + std::to_string(i) + "]";
    const std::pair<const GemmQuant*, const char*> gemms[4] = {
        {&q.qkv, "qkv"},
        {&q.attention_output, "attentionOutput"},
        {&q.ffn_intermediate, "ffnIntermediate"},
        {&q.ffn_output, "ffnOutput"}};
    for (const auto& [g, name] : gemms) {
      if (g->quantized() && !scale_ok(g->input_scale))
        invalid(at + "." + name, "expected a positive finite input scale");
    }
    const AttentionQuant& a = q.attention;
    if (a.int8) {
      if (!(scale_ok(a.query_scale) && scale_ok(a.key_scale) && scale_ok(a.value_scale)))
        invalid(at + ".attention", "expected positive finite query, key and value scales");
      if (!(a.probs_scale == 0.0f || scale_ok(a.probs_scale)))
        invalid(at + ".attention.probs", "expected 0 or a positive finite scale");
      if (c.head_dim() % 4 != 0)
        invalid(at + ".attention", "the INT8 attention needs a head size divisible by 4");
    }
  }
}

}  // namespace samp::cuda
