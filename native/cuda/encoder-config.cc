#include "encoder-config.h"

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
}

}  // namespace samp::cuda
