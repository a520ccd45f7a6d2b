// FP32 GEMM for Linear layers: C[M,N] = epilogue(A[M,K] · Wᵀ), W a PyTorch Linear weight [N,K].
// W is packed once per session into panels of 16 output columns (k-major inside a panel, zero
// padded), which both kernels read: a scalar reference and an AVX2+FMA 6x16 register-blocked
// micro-kernel. The epilogue (bias, activation, residual) runs on each tile while it is hot; a
// RowFinisher (e.g. LayerNorm) runs on whole rows as soon as a task has written them.
#pragma once

#include <functional>

#include "cpu/activation.h"
#include "cpu/aligned-buffer.h"
#include "cpu/fp32-isa.h"
#include "cpu/thread-pool.h"

namespace samp::cpu {

inline constexpr int kGemmMr = 6;   // rows of A per micro-tile
inline constexpr int kGemmNr = 16;  // columns of W per panel

/// A Linear weight [n, k] packed into ceil(n/16) panels of k×16 floats.
class PackedWeight {
 public:
  PackedWeight() = default;
  /// Packs `w`, row-major [n, k] (PyTorch's nn.Linear layout).
  PackedWeight(const float* w, int n, int k);
  int n() const { return n_; }
  int k() const { return k_; }
  int panels() const { return (n_ + kGemmNr - 1) / kGemmNr; }
  const float* panel(int p) const {
    return data_.data() + static_cast<std::size_t>(p) * k_ * kGemmNr;
  }

 private:
  int n_ = 0;
  int k_ = 0;
  FloatBuffer data_;
};

/// What happens to each output element: v = act(acc + bias[n]) + residual[m, n].
struct GemmEpilogue {
  const float* bias = nullptr;  // [N] or null
  Activation activation = Activation::kNone;
  const float* residual = nullptr;  // [M, ldr] or null
  int ldr = 0;
};

/// One task's share: rows [m0, m1) × panels [p0, p1).
struct GemmBlock {
  int m0, m1, p0, p1;
  const float* a;
  int lda;
  const PackedWeight* w;
  float* c;
  int ldc;
  const GemmEpilogue* epilogue;
  /// Scratch for the AVX2 kernel's packed A block: ceil((m1 − m0)/6)·6 × K floats, 32-byte aligned.
  float* a_pack;
};

/// The per-ISA block kernels (sgemm-kernel-scalar.cc, sgemm-kernel-avx2.cc).
void sgemm_block_scalar(const GemmBlock& b);
void sgemm_block_avx2(const GemmBlock& b);

/// Called with complete output rows [row_begin, row_end).
using RowFinisher = std::function<void(int row_begin, int row_end)>;

/// C = epilogue(A · Wᵀ), then `finish` over every row. Parallel over `pool` (may be null: one
/// thread).
void sgemm(Fp32Isa isa, ThreadPool* pool, int m, const float* a, int lda, const PackedWeight& w,
           float* c, int ldc, const GemmEpilogue& epilogue, const RowFinisher* finish = nullptr);

}  // namespace samp::cpu
