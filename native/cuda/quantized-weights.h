// Linear weights quantized once, when a session is made: INT8 per output channel (the profile's
// scales, or max|W[n,:]| / 127) or FP8 E4M3 per tensor (max|W| / 448: E4M3's exponent covers the
// spread between channels), uploaded in the [out, in] layout the GEMMs read.
#pragma once

#include <cstddef>
#include <vector>

#include "device-memory.h"

namespace samp::cuda {

struct QuantizedWeight {
  DeviceBuffer data;         // int8 or E4M3 codes, [out, in]
  DeviceBuffer scales;       // INT8: float [out], one per output channel
  float tensor_scale = 1.0f;  // FP8: the one scale of the tensor
  bool empty() const { return data.get() == nullptr; }
};

/// `w` [out, in] as int8 codes with per-channel scales (`given` [out] or null: max|row| / 127).
/// Adds the bytes uploaded to *total.
QuantizedWeight quantize_int8(const std::vector<float>& w, int out, int in, const float* given,
                              std::size_t* total);

/// `w` [out, in] as FP8 E4M3 codes with one scale. Adds the bytes uploaded to *total.
QuantizedWeight quantize_fp8(const std::vector<float>& w, int out, int in, std::size_t* total);

}  // namespace samp::cuda
