// The attention driver (baseline ISA): splits the work into (row, head, query chunk) tasks, gives
// each worker its scratch, and calls the kernel of the chosen ISA.
#include "cpu/attention.h"

#include <algorithm>
#include <vector>

namespace samp::cpu {

void attention(Fp32Isa isa, const AttentionArgs& a, ThreadPool* pool) {
  constexpr int kQueryChunk = 16;
  struct Task {
    int row, head, q0, q1;
  };
  std::vector<Task> tasks;
  int max_keys = 0;
  for (int r = 0; r < a.num_rows; ++r) {
    max_keys = std::max(max_keys, a.rows[r].keys);
    for (int h = 0; h < a.heads; ++h) {
      for (int q0 = 0; q0 < a.rows[r].queries; q0 += kQueryChunk) {
        tasks.push_back({r, h, q0, std::min(a.rows[r].queries, q0 + kQueryChunk)});
      }
    }
  }
  const auto kernel = isa == Fp32Isa::kAvx2 ? attention_task_avx2 : attention_task_scalar;
  const std::size_t scratch_size = static_cast<std::size_t>(a.head_dim + 1) * max_keys;
  const std::function<void(std::size_t)> run = [&](std::size_t i) {
    thread_local std::vector<float> scratch;
    if (scratch.size() < scratch_size)
      scratch.resize(scratch_size);
    const Task& t = tasks[i];
    kernel(a, t.row, t.head, t.q0, t.q1, scratch.data());
  };
  if (pool == nullptr) {
    for (std::size_t i = 0; i < tasks.size(); ++i)
      run(i);
  } else {
    pool->parallel_for(tasks.size(), run);
  }
}

}  // namespace samp::cpu
