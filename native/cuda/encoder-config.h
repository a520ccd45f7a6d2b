// The shape of a BERT-family encoder as the CUDA session takes it (from @samp/core's ModelConfig,
// through the N-API layer), and the checks it must pass.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "kernels.h"

namespace samp::cuda {

/// What a session stores and computes its activations and Linear weights in.
enum class Precision { kFp32, kFp16 };

inline const char* precision_name(Precision p) {
  return p == Precision::kFp16 ? "fp16" : "fp32";
}

/// What one Linear of a layer runs at: the session's float precision, INT8 (int8 × int8 → int32,
/// weights per output channel) or FP8 E4M3 (FP16 sessions on Hopper; weights per tensor).
enum class GemmPrecision { kFloat, kInt8, kFp8 };

/// A Linear's precision and the static scale of its input (> 0 unless kFloat): int8 codes are
/// x / scale; FP8 values are x / (scale · 127 / 448), the same clipping range put at E4M3's top.
struct GemmQuant {
  GemmPrecision precision = GemmPrecision::kFloat;
  float input_scale = 0.0f;
  bool quantized() const { return precision != GemmPrecision::kFloat; }
};

/// The attention matmuls of a layer (Q·Kᵀ and P·V together): float, or INT8 with static scales for
/// the int8 Q, K, V and the probabilities (probs_scale 0: the fixed step 1/127).
struct AttentionQuant {
  bool int8 = false;
  float query_scale = 0.0f;
  float key_scale = 0.0f;
  float value_scale = 0.0f;
  float probs_scale = 0.0f;
};

/// The quantized choices of one layer (all float by default).
struct LayerQuant {
  GemmQuant qkv, attention_output, ffn_intermediate, ffn_output;
  AttentionQuant attention;
  /// The four GEMMs in Linear order (QKV, attention output, FFN1, FFN2).
  std::array<const GemmQuant*, 4> gemms() const {
    return {&qkv, &attention_output, &ffn_intermediate, &ffn_output};
  }
  bool any() const {
    return qkv.quantized() || attention_output.quantized() || ffn_intermediate.quantized() ||
           ffn_output.quantized() || attention.int8;
  }
};

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
  /// One per layer, or empty: every layer at the session's float precision.
  std::vector<LayerQuant> layer_quant;

  LayerQuant quant_of(int layer) const {
    return layer_quant.empty() ? LayerQuant{} : layer_quant[static_cast<std::size_t>(layer)];
  }

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
