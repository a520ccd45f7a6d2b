#include "cpu/sgemm.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace samp::cpu {

PackedWeight::PackedWeight(const float* w, int n, int k) : n_(n), k_(k) {
  if (n <= 0 || k <= 0)
    throw Error(codes::kInvalidArgument, "PackedWeight: empty weight");
  data_.assign(static_cast<std::size_t>(panels()) * k * kGemmNr, 0.0f);
  for (int p = 0; p < panels(); ++p) {
    float* dst = data_.data() + static_cast<std::size_t>(p) * k * kGemmNr;
    const int cols = std::min(kGemmNr, n - p * kGemmNr);
    for (int j = 0; j < cols; ++j) {
      const float* src = w + static_cast<std::size_t>(p * kGemmNr + j) * k;
      for (int kk = 0; kk < k; ++kk)
        dst[static_cast<std::size_t>(kk) * kGemmNr + j] = src[kk];
    }
  }
}

namespace {
int ceil_div(int a, int b) {
  return (a + b - 1) / b;
}
}  // namespace

void sgemm(Fp32Isa isa, ThreadPool* pool, int m, const float* a, int lda, const PackedWeight& w,
           float* c, int ldc, const GemmEpilogue& epilogue, const RowFinisher* finish) {
  if (m <= 0)
    return;
  const int threads = pool == nullptr ? 1 : static_cast<int>(pool->size());
  const int panels = w.panels();
  // Rows per task: a few tasks per thread for balance, at most 96 rows so a block of A stays in
  // L2 while the panels stream past it.
  int mc = ceil_div(ceil_div(m, threads * 3), kGemmMr) * kGemmMr;
  mc = std::clamp(mc, kGemmMr, 96);
  const int m_tasks = ceil_div(m, mc);
  // Split columns too when there are too few row blocks, unless rows must be finished whole.
  int groups = 1;
  if (finish == nullptr && m_tasks < 2 * threads)
    groups = std::min(panels, ceil_div(2 * threads, m_tasks));
  const int per_group = ceil_div(panels, groups);
  groups = ceil_div(panels, per_group);
  const auto kernel = isa == Fp32Isa::kAvx2 ? sgemm_block_avx2 : sgemm_block_scalar;

  const std::function<void(std::size_t)> task = [&](std::size_t t) {
    const int mi = static_cast<int>(t) / groups;
    const int gi = static_cast<int>(t) % groups;
    GemmBlock b{};
    b.m0 = mi * mc;
    b.m1 = std::min(m, b.m0 + mc);
    b.p0 = gi * per_group;
    b.p1 = std::min(panels, b.p0 + per_group);
    b.a = a;
    b.lda = lda;
    b.w = &w;
    b.c = c;
    b.ldc = ldc;
    b.epilogue = &epilogue;
    // Per-thread scratch for the packed rows of A (the AVX2 kernel reads them contiguously).
    thread_local FloatBuffer a_pack;
    const std::size_t need = static_cast<std::size_t>(mc + kGemmMr) * w.k();
    if (a_pack.size() < need)
      a_pack.resize(need);
    b.a_pack = a_pack.data();
    kernel(b);
    if (finish != nullptr)
      (*finish)(b.m0, b.m1);  // groups == 1 here: the rows are complete
  };
  const std::size_t tasks = static_cast<std::size_t>(m_tasks) * groups;
  if (pool == nullptr) {
    for (std::size_t t = 0; t < tasks; ++t)
      task(t);
  } else {
    pool->parallel_for(tasks, task);
  }
}

}  // namespace samp::cpu
