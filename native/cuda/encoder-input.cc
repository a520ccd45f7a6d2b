// The checks a batch passes before it reaches the device (shapes, ids, token types, mask form).
#include <algorithm>
#include <string>

#include "common/error.h"
#include "encoder.h"

namespace samp::cuda {
namespace {

[[noreturn]] void invalid(const std::string& field, const std::string& problem) {
  throw Error(codes::kInvalidArgument, field + ": " + problem);
}

}  // namespace

void check_input(const EncoderConfig& c, const EncoderInput& in) {
  if (in.batch < 1)
    invalid("batchSize", "expected a positive integer, got " + std::to_string(in.batch));
  if (in.seq < 1)
    invalid("sequenceLength", "expected a positive integer, got " + std::to_string(in.seq));
  if (in.seq > c.max_sequence_length()) {
    throw Error(codes::kInputTooLong, "sequenceLength has length " + std::to_string(in.seq) +
                                          ", over the limit of " +
                                          std::to_string(c.max_sequence_length()));
  }
  const std::size_t size = static_cast<std::size_t>(in.batch) * in.seq;
  if (in.ids.size() != size)
    invalid("inputIds",
            "has " + std::to_string(in.ids.size()) + " elements, expected " + std::to_string(size));
  if (in.mask.size() != size)
    invalid("attentionMask", "has " + std::to_string(in.mask.size()) + " elements, expected " +
                                 std::to_string(size));
  if (!in.types.empty() && in.types.size() != size)
    invalid("tokenTypeIds", "has " + std::to_string(in.types.size()) + " elements, expected " +
                                std::to_string(size));
  const int type_limit = std::max(c.type_vocab_size, 1);
  for (std::size_t i = 0; i < size; ++i) {
    if (in.ids[i] < 0 || in.ids[i] >= c.vocab_size) {
      invalid("inputIds[" + std::to_string(i) + "]", "token id " + std::to_string(in.ids[i]) +
                                                         " is outside the vocabulary (0…" +
                                                         std::to_string(c.vocab_size - 1) + ")");
    }
    if (in.mask[i] != 0 && in.mask[i] != 1)
      invalid("attentionMask[" + std::to_string(i) + "]",
              "expected 0 or 1, got " + std::to_string(in.mask[i]));
    if (!in.types.empty() && (in.types[i] < 0 || in.types[i] >= type_limit)) {
      invalid("tokenTypeIds[" + std::to_string(i) + "]",
              "token type id " + std::to_string(in.types[i]) + " is outside 0…" +
                  std::to_string(type_limit - 1));
    }
  }
  for (int b = 0; b < in.batch; ++b) {
    const std::size_t base = static_cast<std::size_t>(b) * in.seq;
    if (in.mask[base] != 1)
      invalid("attentionMask[" + std::to_string(base) + "]",
              "row " + std::to_string(b) + " must start with a real token");
    bool padded = false;
    for (int j = 1; j < in.seq; ++j) {
      if (in.mask[base + j] == 0) {
        padded = true;
      } else if (padded) {
        invalid("attentionMask[" + std::to_string(base + j) + "]",
                "row " + std::to_string(b) + " has a real token after padding");
      }
    }
  }
}

}  // namespace samp::cuda
