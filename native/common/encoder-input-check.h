// The checks a padded batch passes before any backend runs it, shared by the CPU and CUDA encoders:
// the run's size (rows, positions, padded tokens per run) and the batch's arrays (shapes, token
// ids, token types, a mask of leading real tokens). Messages follow @samp/core's
// validateEncoderInput, which the TypeScript side maps back to typed errors.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"

namespace samp {

/// The most padded tokens (rows × sequence length) one run takes: @samp/core's MAX_TOKENS_PER_RUN,
/// checked natively too so that callers of an addon who skip the TypeScript checks cannot ask a
/// session for gigabytes (a CPU run needs ~12.8 KB a token for the 4-layer demo model, ~36 KB for
/// BERT-base).
inline constexpr int kMaxTokensPerRun = 65536;

namespace detail {
[[noreturn]] inline void invalid_input(const std::string& field, const std::string& problem) {
  throw Error(codes::kInvalidArgument, field + ": " + problem);
}
}  // namespace detail

/// batch and seq positive, seq within the model's positions, batch × seq within kMaxTokensPerRun.
/// `Config` has max_sequence_length(). Throws samp::Error (SAMP_INVALID_ARGUMENT,
/// SAMP_INPUT_TOO_LONG).
template <class Config>
void check_run_size(const Config& c, int batch, int seq) {
  if (batch < 1)
    detail::invalid_input("batchSize", "expected a positive integer, got " + std::to_string(batch));
  if (seq < 1)
    detail::invalid_input("sequenceLength",
                          "expected a positive integer, got " + std::to_string(seq));
  if (seq > c.max_sequence_length()) {
    throw Error(codes::kInputTooLong, "sequenceLength has length " + std::to_string(seq) +
                                          ", over the limit of " +
                                          std::to_string(c.max_sequence_length()));
  }
  const int64_t tokens = int64_t{batch} * seq;
  if (tokens > kMaxTokensPerRun) {
    const int rows = std::max(1, kMaxTokensPerRun / seq);
    throw Error(codes::kInputTooLong,
                "batchSize × sequenceLength (" + std::to_string(batch) + " × " +
                    std::to_string(seq) +
                    " padded tokens in one run; split it into runs of at most " +
                    std::to_string(rows) + " rows) has length " + std::to_string(tokens) +
                    ", over the limit of " + std::to_string(kMaxTokensPerRun));
  }
}

/// check_run_size, then the arrays: ids, mask (and types when given) of batch × seq elements, ids
/// in the vocabulary, mask 0/1 with every row starting with a real token and no real token after
/// padding, types within the type table. `Config` has vocab_size, type_vocab_size and
/// max_sequence_length(); `Input` has batch, seq, ids, mask, types. Throws samp::Error naming the
/// element at fault.
template <class Config, class Input>
void check_encoder_input(const Config& c, const Input& in) {
  using detail::invalid_input;
  samp::check_run_size(c, in.batch, in.seq);
  const std::size_t size = static_cast<std::size_t>(in.batch) * in.seq;
  if (in.ids.size() != size)
    invalid_input("inputIds", "has " + std::to_string(in.ids.size()) + " elements, expected " +
                                  std::to_string(size));
  if (in.mask.size() != size)
    invalid_input("attentionMask", "has " + std::to_string(in.mask.size()) +
                                       " elements, expected " + std::to_string(size));
  if (!in.types.empty() && in.types.size() != size)
    invalid_input("tokenTypeIds", "has " + std::to_string(in.types.size()) +
                                      " elements, expected " + std::to_string(size));
  const int type_limit = std::max(c.type_vocab_size, 1);
  for (std::size_t i = 0; i < size; ++i) {
    if (in.ids[i] < 0 || in.ids[i] >= c.vocab_size) {
      invalid_input("inputIds[" + std::to_string(i) + "]",
                    "token id " + std::to_string(in.ids[i]) + " is outside the vocabulary (0…" +
                        std::to_string(c.vocab_size - 1) + ")");
    }
    if (in.mask[i] != 0 && in.mask[i] != 1)
      invalid_input("attentionMask[" + std::to_string(i) + "]",
                    "expected 0 or 1, got " + std::to_string(in.mask[i]));
    if (!in.types.empty() && (in.types[i] < 0 || in.types[i] >= type_limit)) {
      invalid_input("tokenTypeIds[" + std::to_string(i) + "]",
                    "token type id " + std::to_string(in.types[i]) + " is outside 0…" +
                        std::to_string(type_limit - 1));
    }
  }
  for (int b = 0; b < in.batch; ++b) {
    const std::size_t base = static_cast<std::size_t>(b) * in.seq;
    if (in.mask[base] != 1)
      invalid_input("attentionMask[" + std::to_string(base) + "]",
                    "row " + std::to_string(b) + " must start with a real token");
    bool padded = false;
    for (int j = 1; j < in.seq; ++j) {
      if (in.mask[base + j] == 0) {
        padded = true;
      } else if (padded) {
        invalid_input("attentionMask[" + std::to_string(base + j) + "]",
                      "row " + std::to_string(b) + " has a real token after padding");
      }
    }
  }
}

}  // namespace samp
