// The seam between the encoder and its GEMMs: every Linear of a layer (fused QKV, attention
// output, FFN intermediate, FFN output) and the embedding projection is a LinearOp. The FP32
// implementation packs its weight for sgemm; the INT8 one (int8-linear.h, over native/cpu/int8/)
// quantizes and packs it for samp::int8. build_layer (encoder-weights.cc) picks one per GEMM from
// the layer's LayerQuant.
#pragma once

#include <cstddef>
#include <memory>

#include "common/cpu-features.h"
#include "cpu/activation.h"
#include "cpu/aligned-buffer.h"
#include "cpu/fp32-isa.h"
#include "cpu/sgemm.h"
#include "cpu/thread-pool.h"
#include "cpu/workspace.h"

namespace samp::cpu {

/// What a run of the encoder gives every kernel: the FP32 ISA, the session's pool and the INT8
/// kernels' ISA (bit-identical results on every one).
struct KernelContext {
  Fp32Isa isa = Fp32Isa::kScalar;
  ThreadPool* pool = nullptr;
  Int8Isa int8_isa = Int8Isa::kScalar;
  /// The run's scratch (null: ops allocate their own).
  Workspace* workspace = nullptr;
};

/// Element-wise work after the product: out = act(x·Wᵀ + bias) + residual.
struct LinearEpilogue {
  Activation activation = Activation::kNone;
  const float* residual = nullptr;  // [m, ld_residual] or null
  int ld_residual = 0;
};

class LinearOp {
 public:
  virtual ~LinearOp() = default;
  virtual int in_features() const = 0;
  virtual int out_features() const = 0;
  /// Bytes of weight data the op holds (packed weight, scales, bias), for memory reports.
  virtual std::size_t bytes() const = 0;
  /// out[m, out_features] (row stride ld_out) = epilogue(in[m, in_features] · Wᵀ + bias), then
  /// `finish` over complete rows (LayerNorm), possibly while other rows are still being computed.
  virtual void run(const KernelContext& ctx, int m, const float* in, int ld_in, float* out,
                   int ld_out, const LinearEpilogue& epilogue, const RowFinisher* finish) const = 0;
};

/// FP32: the weight packed once for sgemm, the bias copied.
class Fp32Linear final : public LinearOp {
 public:
  /// `weight` [out, in] (PyTorch layout), `bias` [out] or null.
  Fp32Linear(const float* weight, const float* bias, int out_features, int in_features);
  int in_features() const override { return weight_.k(); }
  int out_features() const override { return weight_.n(); }
  std::size_t bytes() const override {
    return static_cast<std::size_t>(weight_.panels()) * weight_.k() * kGemmNr * sizeof(float) +
           bias_.size() * sizeof(float);
  }
  void run(const KernelContext& ctx, int m, const float* in, int ld_in, float* out, int ld_out,
           const LinearEpilogue& epilogue, const RowFinisher* finish) const override;

 private:
  PackedWeight weight_;
  FloatBuffer bias_;
};

}  // namespace samp::cpu
