#include "packing.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace samp::cuda {

Packing pack(const EncoderConfig& c, const EncoderInput& in, bool compute_padding) {
  return pack_tokens<RowSpan>(c, in, compute_padding);
}

std::vector<float> unpack(const Packing& p, const float* packed, int width, int batch, int seq) {
  const std::size_t size = static_cast<std::size_t>(batch) * seq * width;
  if (static_cast<std::size_t>(p.tokens) * width == size)
    return std::vector<float>(packed, packed + size);  // no padding: one pass, no zero fill
  std::vector<float> out(size, 0.0f);
  for (int t = 0; t < p.tokens; ++t) {
    const float* src = packed + static_cast<std::size_t>(t) * width;
    std::copy(src, src + width,
              out.begin() + static_cast<std::ptrdiff_t>(p.padded_index[t]) * width);
  }
  return out;
}

HostArray unpack_output(const Packing& p, const float* packed, int width, int batch, int seq) {
  const std::size_t size = static_cast<std::size_t>(batch) * seq * width;
  HostArray out(size);
  if (static_cast<std::size_t>(p.tokens) * width == size) {
    std::copy(packed, packed + size, out.data());  // no padding: one pass
    return out;
  }
  std::fill(out.begin(), out.end(), 0.0f);
  for (int t = 0; t < p.tokens; ++t) {
    const float* src = packed + static_cast<std::size_t>(t) * width;
    std::copy(src, src + width, out.data() + static_cast<std::size_t>(p.padded_index[t]) * width);
  }
  return out;
}

}  // namespace samp::cuda
