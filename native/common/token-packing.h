// Padding removal, shared by the CPU and CUDA encoders: the packed token layout of one run (each
// row's real tokens, or every position when padded ones are computed like Hugging Face), with the
// position ids of the model's scheme (0…n−1, or RoBERTa's count from pad_token_id + 1 over
// non-padding ids).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace samp {

/// One run's packed tokens. `Row` is the backend's {start, queries, keys} row span.
template <class Row>
struct TokenPacking {
  std::vector<Row> rows;
  std::vector<int32_t> ids, positions, types;
  std::vector<int> padded_index;  // packed token → index in the padded [batch, seq] layout
  int tokens = 0;
  int max_queries = 0;  // the longest row's computed tokens
};

/// Packs a checked batch (common/encoder-input-check.h). `Config` has padding_aware_positions,
/// pad_token_id and max_positions. Throws samp::Error(SAMP_INPUT_TOO_LONG) for a position id
/// outside the position table.
template <class Row, class Config, class Input>
TokenPacking<Row> pack_tokens(const Config& c, const Input& in, bool compute_padding) {
  TokenPacking<Row> p;
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

}  // namespace samp
