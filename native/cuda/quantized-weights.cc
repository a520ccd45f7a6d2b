#include "quantized-weights.h"

#include <cuda_fp8.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "cuda-check.h"

namespace samp::cuda {
namespace {

template <typename Code>
DeviceBuffer upload_codes(const std::vector<Code>& codes, std::size_t* total) {
  DeviceBuffer buffer(codes.size() * sizeof(Code));
  check_cuda(cudaMemcpy(buffer.get(), codes.data(), codes.size() * sizeof(Code),
                        cudaMemcpyHostToDevice),
             "cudaMemcpy (quantized weights)");
  *total += codes.size() * sizeof(Code);
  return buffer;
}

}  // namespace

QuantizedWeight quantize_int8(const std::vector<float>& w, int out, int in, const float* given,
                              std::size_t* total) {
  std::vector<int8_t> codes(w.size());
  std::vector<float> scales(static_cast<std::size_t>(out));
  for (int n = 0; n < out; ++n) {
    const float* row = w.data() + static_cast<std::size_t>(n) * in;
    float scale = 0.0f;
    if (given != nullptr) {
      scale = given[n];
    } else {
      float m = 0.0f;
      for (int k = 0; k < in; ++k)
        m = std::max(m, std::fabs(row[k]));
      scale = m / 127.0f;
    }
    if (!(scale > 0.0f) || !std::isfinite(scale))
      scale = 1.0f;  // an all-zero row: every code is 0 whatever the scale
    scales[static_cast<std::size_t>(n)] = scale;
    const float inv = 1.0f / scale;
    int8_t* dst = codes.data() + static_cast<std::size_t>(n) * in;
    for (int k = 0; k < in; ++k) {
      const float q = std::nearbyint(row[k] * inv);
      dst[k] = static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
    }
  }
  QuantizedWeight qw;
  qw.data = upload_codes(codes, total);
  qw.scales = upload_codes(scales, total);
  return qw;
}

QuantizedWeight quantize_fp8(const std::vector<float>& w, int out, int in, std::size_t* total) {
  float m = 0.0f;
  for (float v : w)
    m = std::max(m, std::fabs(v));
  const float scale = m > 0.0f && std::isfinite(m) ? m / 448.0f : 1.0f;
  const float inv = 1.0f / scale;
  std::vector<__nv_fp8_e4m3> codes(static_cast<std::size_t>(out) * in);
  for (std::size_t i = 0; i < codes.size(); ++i)
    codes[i] = __nv_fp8_e4m3(w[i] * inv);
  QuantizedWeight qw;
  qw.data = upload_codes(codes, total);
  qw.tensor_scale = scale;
  return qw;
}

}  // namespace samp::cuda
