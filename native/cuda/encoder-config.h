// The shape of a BERT-family encoder as the CUDA session takes it (from @samp/core's ModelConfig,
// through the N-API layer), and the checks it must pass.
#pragma once

#include <string>
#include <vector>

#include "kernels.h"

namespace samp::cuda {

/// What a session stores and computes its activations and Linear weights in.
enum class Precision { kFp32, kFp16 };

inline const char* precision_name(Precision p) {
  return p == Precision::kFp16 ? "fp16" : "fp32";
}

struct EncoderConfig {
  int vocab_size = 0;
  int hidden_size = 0;
  int num_heads = 0;
  int num_layers = 0;
  int intermediate_size = 0;
  int max_positions = 0;
  int type_vocab_size = 0;  // 0: no token-type table (DistilBERT)
  int embedding_size = 0;   // differs from hidden_size when there is a projection
  bool has_projection = false;
  float layer_norm_eps = 1e-12f;
  Activation activation = Activation::kGelu;
  int pad_token_id = 0;
  /// RoBERTa / XLM-R: position ids count from pad_token_id + 1 over non-padding ids; padding ids
  /// get pad_token_id. Otherwise 0…n−1.
  bool padding_aware_positions = false;
  /// Layer i runs the weights stored under layers.<layer_sources[i]>.* (ALBERT shares them).
  std::vector<int> layer_sources;

  int head_dim() const { return hidden_size / num_heads; }
  /// The longest sequence the position table allows.
  int max_sequence_length() const {
    return padding_aware_positions ? max_positions - pad_token_id - 1 : max_positions;
  }
};

/// The largest head_dim the attention kernel takes.
inline constexpr int kMaxHeadDim = 128;

/// Throws samp::Error(SAMP_INVALID_ARGUMENT) naming the first inconsistent field.
void check_config(const EncoderConfig& c);

}  // namespace samp::cuda
