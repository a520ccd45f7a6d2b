// A session's weights on the device: the per-layer buffers of the float Linears, biases and
// LayerNorms, the quantized copies a mixed-precision plan needs, and how host tensors get there.
#pragma once

#include <cuda_fp16.h>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/error.h"
#include "cuda-check.h"
#include "device-memory.h"
#include "encoder-config.h"
#include "encoder.h"
#include "quantized-weights.h"

namespace samp::cuda {

/// The FP32 values of tensor `name`, which must hold `count` elements. Throws samp::Error
/// (SAMP_INVALID_ARGUMENT) naming the tensor.
inline const std::vector<float>& tensor(const WeightSet& w, const std::string& name,
                                        std::size_t count) {
  const auto it = w.find(name);
  if (it == w.end())
    throw Error(codes::kInvalidArgument, "tensors." + name + ": missing");
  if (it->second.size() != count) {
    throw Error(codes::kInvalidArgument, "tensors." + name + ": has " +
                                             std::to_string(it->second.size()) +
                                             " elements, expected " + std::to_string(count));
  }
  return it->second;
}

template <typename T>
T convert(float v);
template <>
inline float convert<float>(float v) {
  return v;
}
template <>
inline __half convert<__half>(float v) {
  return __float2half_rn(v);
}

/// Uploads the concatenation of `parts`, converted to T.
template <typename T>
DeviceBuffer upload(std::initializer_list<const std::vector<float>*> parts, std::size_t* total) {
  std::size_t n = 0;
  for (const auto* p : parts)
    n += p->size();
  std::vector<T> host;
  host.reserve(n);
  for (const auto* p : parts)
    for (float v : *p)
      host.push_back(convert<T>(v));
  DeviceBuffer buffer(n * sizeof(T));
  check_cuda(cudaMemcpy(buffer.get(), host.data(), n * sizeof(T), cudaMemcpyHostToDevice),
             "cudaMemcpy (weights)");
  *total += n * sizeof(T);
  return buffer;
}

/// The four Linears of a layer, indexing LayerWeights' quantized copies.
enum Linear { kQkv = 0, kAttentionOutput = 1, kFfnIntermediate = 2, kFfnOutput = 3 };

struct LayerWeights {
  DeviceBuffer qkv_w, qkv_b;  // [3H, H], [3H] in the storage type (cuBLASLt's bias epilogue)
  DeviceBuffer out_w, out_b, ln1_g, ln1_b;
  DeviceBuffer ffn1_w, ffn1_b, ffn2_w, ffn2_b, ln2_g, ln2_b;
  // The biases again in the storage type, for the GEMM epilogues (FP32 copies: the kernels').
  DeviceBuffer out_b_t, ffn1_b_t, ffn2_b_t;
  DeviceBuffer qkv_b_f;  // FP32 QKV bias, for the INT8 QKV epilogue (mixed-precision sessions)
  // Per Linear, made when a layer of the plan runs it quantized (ALBERT layers share them).
  QuantizedWeight int8[4], fp8[4];
};

/// Per-layer data of a mixed-precision session besides the weights.
struct LayerExtras {
  DeviceBuffer qkv_inv_scales;  // [3H]: 1/s_q | 1/s_k | 1/s_v, for the INT8 attention's inputs
};

/// The inverse scale that quantizes a GEMM's input: int8 codes are x / s; FP8 values are
/// x / (s · 127 / 448), the int8 clipping range put at E4M3's largest finite value.
inline float input_inv_scale(const GemmQuant& g) {
  return g.precision == GemmPrecision::kFp8 ? 448.0f / (127.0f * g.input_scale)
                                            : 1.0f / g.input_scale;
}

}  // namespace samp::cuda
