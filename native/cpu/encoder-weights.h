// The encoder's weights, copied once into the session: embedding tables and norms as float
// buffers, every Linear as a LinearOp (FP32: packed for sgemm; Q, K and V fused into one [3H, H]
// GEMM). ALBERT's shared layers are built once and referenced by every layer that uses them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cpu/aligned-buffer.h"
#include "cpu/encoder-config.h"
#include "cpu/linear.h"

namespace samp::cpu {

/// Canonical tensor name (`embeddings.word`, `layers.0.attention.query.weight`, …) → values.
/// Optional per-channel INT8 weight scales travel in the same set, under `<weight name>#scales`.
using WeightSet = std::map<std::string, std::vector<float>>;
inline constexpr const char* kWeightScalesSuffix = "#scales";

struct LayerWeights {
  std::unique_ptr<LinearOp> qkv;               // [3H, H]: query | key | value
  std::unique_ptr<LinearOp> attention_output;  // [H, H]
  std::unique_ptr<LinearOp> ffn_intermediate;  // [I, H]
  std::unique_ptr<LinearOp> ffn_output;        // [H, I]
  FloatBuffer attention_norm_weight, attention_norm_bias;
  FloatBuffer ffn_norm_weight, ffn_norm_bias;
  LayerQuant quant;  // which of the four Linears are Int8Linear (and their input scales)
};

struct EncoderWeights {
  FloatBuffer word, position, token_type;
  FloatBuffer embedding_norm_weight, embedding_norm_bias;
  std::unique_ptr<LinearOp> projection;  // [H, E] or null
  std::vector<std::unique_ptr<LayerWeights>> distinct_layers;
  std::vector<const LayerWeights*> layers;  // one per encoder layer
};

/// Builds the weights from `set`, checking every tensor's presence and size against `config`.
/// Throws samp::Error(SAMP_INVALID_ARGUMENT) naming the tensor at fault.
/// Bytes of the Linear weights (packed FP32 or INT8), for memory reports.
std::size_t linear_weight_bytes(const EncoderWeights& w);

EncoderWeights build_encoder_weights(const EncoderConfig& config, const WeightSet& set);

}  // namespace samp::cpu
