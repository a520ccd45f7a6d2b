// The seam between the encoder and its GEMMs: every Linear of a layer (fused QKV, attention
// output, FFN intermediate, FFN output) and the embedding projection is a LinearOp. The FP32
// implementation packs its weight for sgemm; an INT8 implementation (native/cpu/int8/) plugs in
// by implementing the same interface and being chosen in make_layer_linears (encoder-weights.cc).
#pragma once

#include <memory>

#include "cpu/activation.h"
#include "cpu/aligned-buffer.h"
#include "cpu/fp32-isa.h"
#include "cpu/sgemm.h"
#include "cpu/thread-pool.h"

namespace samp::cpu {

/// What a run of the encoder gives every kernel: the ISA and the session's pool.
struct KernelContext {
  Fp32Isa isa = Fp32Isa::kScalar;
  ThreadPool* pool = nullptr;
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
  void run(const KernelContext& ctx, int m, const float* in, int ld_in, float* out, int ld_out,
           const LinearEpilogue& epilogue, const RowFinisher* finish) const override;

 private:
  PackedWeight weight_;
  FloatBuffer bias_;
};

}  // namespace samp::cpu
