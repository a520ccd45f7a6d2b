// The fused embedding kernel: word + position + token-type lookups, summed in float64, then
// LayerNorm, one token per row of the output. The projection to the hidden size (ELECTRA, ALBERT)
// is a Linear the encoder runs next. Contract: packages/embedding/README.md.
#pragma once

#include <cstdint>

#include "cpu/thread-pool.h"

namespace samp::cpu {

struct EmbeddingTables {
  const float* word = nullptr;  // [vocab, E]
  int vocab = 0;
  const float* position = nullptr;  // [max_positions, E]
  int max_positions = 0;
  const float* token_type = nullptr;  // [type_vocab, E]; null when the model has none
  int type_vocab = 0;
  const float* norm_weight = nullptr;  // [E]
  const float* norm_bias = nullptr;    // [E]
  int width = 0;                       // E
  float eps = 1e-12f;
};

/// out[t, 0..E) for every token t: LayerNorm(word[ids[t]] + position[positions[t]] +
/// token_type[types[t]]). `types` may be null (type 0, or no table). Ids, positions and types must
/// be in range (the encoder checks them before calling). Parallel over tokens.
void embed_tokens(const EmbeddingTables& tables, const int32_t* ids, const int32_t* positions,
                  const int32_t* types, int tokens, float* out, ThreadPool* pool);

}  // namespace samp::cpu
