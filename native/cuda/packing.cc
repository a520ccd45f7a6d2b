#include "packing.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace samp::cuda {

Packing pack(const EncoderConfig& c, const EncoderInput& in, bool compute_padding) {
  Packing p;
  p.rows.resize(static_cast<std::size_t>(in.batch));
  for (int b = 0; b < in.batch; ++b) {
    const std::size_t base = static_cast<std::size_t>(b) * in.seq;
    int len = 0;
    while (len < in.seq && in.mask[base + len] == 1)
      ++len;
    const int queries = compute_padding ? in.seq : len;
    p.rows[static_cast<std::size_t>(b)] = {p.tokens, queries, len};
    p.max_queries = std::max(p.max_queries, queries);
    int counted = 0;  // non-padding ids so far (RoBERTa positions)
    for (int i = 0; i < queries; ++i) {
      const int32_t id = in.ids[base + i];
      int32_t position = i;
      if (c.padding_aware_positions) {
        if (id != c.pad_token_id)
          ++counted;
        position = id != c.pad_token_id ? c.pad_token_id + counted : c.pad_token_id;
      }
      if (position >= c.max_positions) {
        throw Error(codes::kInputTooLong, "position id " + std::to_string(position) + " of row " +
                                              std::to_string(b) +
                                              " is outside the position table (" +
                                              std::to_string(c.max_positions) + " entries)");
      }
      p.ids.push_back(id);
      p.positions.push_back(position);
      p.types.push_back(in.types.empty() ? 0 : in.types[base + i]);
      p.padded_index.push_back(static_cast<int>(base) + i);
    }
    p.tokens += queries;
  }
  return p;
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
