#include "cpu/linear.h"

namespace samp::cpu {

Fp32Linear::Fp32Linear(const float* weight, const float* bias, int out_features, int in_features)
    : weight_(weight, out_features, in_features) {
  if (bias != nullptr)
    bias_.assign(bias, bias + out_features);
}

void Fp32Linear::run(const KernelContext& ctx, int m, const float* in, int ld_in, float* out,
                     int ld_out, const LinearEpilogue& epilogue, const RowFinisher* finish) const {
  GemmEpilogue ep;
  ep.bias = bias_.empty() ? nullptr : bias_.data();
  ep.activation = epilogue.activation;
  ep.residual = epilogue.residual;
  ep.ldr = epilogue.ld_residual;
  sgemm(ctx.isa, ctx.pool, m, in, ld_in, weight_, out, ld_out, ep, finish);
}

}  // namespace samp::cpu
