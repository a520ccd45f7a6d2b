// The shape of a BERT-family encoder, as the N-API layer passes it from @samp/core's ModelConfig.
#pragma once

#include <vector>

#include "cpu/activation.h"

namespace samp::cpu {

/// How one GEMM of a layer runs: FP32, or INT8 with its input quantized statically (scale > 0, from
/// a QuantProfile) or dynamically per row (scale 0).
struct GemmQuant {
  bool int8 = false;
  float input_scale = 0.0f;
  bool operator<(const GemmQuant& o) const {
    return int8 != o.int8 ? int8 < o.int8 : input_scale < o.input_scale;
  }
  bool is_static() const { return int8 && input_scale > 0.0f; }
};

/// The attention matmuls of a layer (QKᵀ and P·V, together): FP32, or INT8 with int8 Q, K, V and
/// probabilities. Each scale > 0 is static (a QuantProfile's attention.query / key / value / probs
/// tap); 0 means dynamic: Q and K per token and head, V per channel over the sequence's keys, and
/// probabilities with the fixed step 1/127 (softmax output is in [0, 1]).
struct AttentionQuant {
  bool int8 = false;
  float query_scale = 0.0f;
  float key_scale = 0.0f;
  float value_scale = 0.0f;
  float probs_scale = 0.0f;
  bool operator<(const AttentionQuant& o) const {
    const float a[5] = {int8 ? 1.0f : 0.0f, query_scale, key_scale, value_scale, probs_scale};
    const float b[5] = {o.int8 ? 1.0f : 0.0f, o.query_scale, o.key_scale, o.value_scale,
                        o.probs_scale};
    for (int i = 0; i < 5; ++i) {
      if (a[i] != b[i])
        return a[i] < b[i];
    }
    return false;
  }
};

/// The INT8 choices of one layer (all FP32 by default).
struct LayerQuant {
  GemmQuant qkv, attention_output, ffn_intermediate, ffn_output;
  AttentionQuant attention;
  bool any() const {
    return qkv.int8 || attention_output.int8 || ffn_intermediate.int8 || ffn_output.int8 ||
           attention.int8;
  }
  bool operator<(const LayerQuant& o) const {
    const GemmQuant a[4] = {qkv, attention_output, ffn_intermediate, ffn_output};
    const GemmQuant b[4] = {o.qkv, o.attention_output, o.ffn_intermediate, o.ffn_output};
    for (int i = 0; i < 4; ++i) {
      if (a[i] < b[i])
        return true;
      if (b[i] < a[i])
        return false;
    }
    return attention < o.attention;
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
  /// RoBERTa / XLM-R: position ids count from pad_token_id + 1 over non-padding ids (HF's
  /// create_position_ids_from_input_ids); padding ids get pad_token_id. Otherwise 0…n−1.
  bool padding_aware_positions = false;
  /// Layer i runs the weights stored under layers.<layer_sources[i]>.* (ALBERT shares them).
  std::vector<int> layer_sources;
  /// One per layer, or empty: every layer FP32.
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

/// Throws samp::Error(SAMP_INVALID_ARGUMENT) naming the first inconsistent field.
void check_config(const EncoderConfig& c);

}  // namespace samp::cpu
