#include "cpu/embedding.h"

#include <algorithm>
#include <vector>

#include "cpu/layer-norm.h"

namespace samp::cpu {

void embed_tokens(const EmbeddingTables& t, const int32_t* ids, const int32_t* positions,
                  const int32_t* types, int tokens, float* out, ThreadPool* pool) {
  const int e = t.width;
  constexpr int kChunk = 16;
  const int chunks = (tokens + kChunk - 1) / kChunk;
  const std::function<void(std::size_t)> task = [&](std::size_t c) {
    std::vector<double> sum(static_cast<std::size_t>(e));
    const int begin = static_cast<int>(c) * kChunk;
    const int end = std::min(tokens, begin + kChunk);
    for (int tok = begin; tok < end; ++tok) {
      const float* w = t.word + static_cast<std::size_t>(ids[tok]) * e;
      const float* p = t.position + static_cast<std::size_t>(positions[tok]) * e;
      for (int j = 0; j < e; ++j)
        sum[j] = static_cast<double>(w[j]) + static_cast<double>(p[j]);
      if (t.token_type != nullptr) {
        const int type = types == nullptr ? 0 : types[tok];
        const float* ty = t.token_type + static_cast<std::size_t>(type) * e;
        for (int j = 0; j < e; ++j)
          sum[j] += static_cast<double>(ty[j]);
      }
      layer_norm_row_f64(sum.data(), e, t.norm_weight, t.norm_bias, t.eps,
                         out + static_cast<std::size_t>(tok) * e);
    }
  };
  if (pool == nullptr) {
    for (int c = 0; c < chunks; ++c)
      task(static_cast<std::size_t>(c));
  } else {
    pool->parallel_for(static_cast<std::size_t>(chunks), task);
  }
}

}  // namespace samp::cpu
