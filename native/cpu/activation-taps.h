// Names of the activation tensors a run can return (`observe`), as @samp/core's
// LAYER_ACTIVATION_TAPS defines them: `embeddings.output` and `layers.<i>.<tap>`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace samp::cpu {

enum class Tap : int {
  kQkvInput = 0,
  kQuery,
  kKey,
  kValue,
  kScores,
  kProbs,
  kContext,
  kFfnIntermediateInput,
  kFfnOutputInput,
  kCount
};

/// "attention.qkv.input", … (the part after `layers.<i>.`).
const char* tap_name(Tap tap);

/// Which tensors a run records.
struct ObserveRequest {
  bool embeddings_output = false;
  std::vector<uint32_t> layer_taps;  // one bit per Tap, per layer
  bool any() const;
  bool wants(int layer, Tap tap) const {
    return (layer_taps[static_cast<std::size_t>(layer)] >> static_cast<int>(tap)) & 1u;
  }
};

/// Parses names; throws samp::Error(SAMP_INVALID_ARGUMENT) naming an unknown name or a layer
/// outside [0, layers).
ObserveRequest parse_observe(const std::vector<std::string>& names, int layers);

/// One recorded tensor in the padded layout the spec documents.
struct ObservedTensor {
  std::string name;
  std::vector<int> shape;
  std::vector<float> data;
};

}  // namespace samp::cpu
