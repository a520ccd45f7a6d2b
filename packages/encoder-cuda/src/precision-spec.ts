import {
  checkPlanMatches,
  type EncoderSessionOptions,
  GEMM_NAMES,
  InvalidArgumentError,
  isSessionPrecision,
  type ModelArtifacts,
  type PrecisionPlan,
  resolveLayerGemms,
  UnsupportedPrecisionError,
} from '@samp/core';

/** What a CUDA session runs at. */
export interface CudaPrecisionSpec {
  precision: 'fp32' | 'fp16';
  plan: PrecisionPlan | undefined;
}

const BACKEND = 'cuda';

/**
 * Resolves `precision` and `plan` into the one float precision this backend runs a whole session at:
 * `fp32` (FP32 GEMMs, no TF32) or `fp16` (FP16 storage, FP32 accumulation). A plan is accepted when
 * every GEMM of every layer is that one precision. INT8 and FP8 arrive with the next part of the issue.
 * @throws UnsupportedPrecisionError for int8 / fp8 or a plan mixing precisions; InvalidPlanError when
 * the plan was made for another model.
 */
export function resolveCudaPrecision(
  model: ModelArtifacts,
  options: EncoderSessionOptions,
): CudaPrecisionSpec {
  const requested = options.precision ?? 'fp32';
  if (!isSessionPrecision(requested)) {
    throw new InvalidArgumentError('precision', `expected fp32 or fp16, got ${String(requested)}`);
  }
  const plan = options.plan;
  if (plan === undefined) {
    if (requested !== 'fp32' && requested !== 'fp16') {
      throw new UnsupportedPrecisionError(BACKEND, requested, 'precision', 'this build runs fp32 and fp16');
    }
    return { precision: requested, plan: undefined };
  }
  checkPlanMatches(plan, model);
  const floatPrecision = requested === 'fp16' ? 'fp16' : 'fp32';
  let chosen: 'fp32' | 'fp16' | undefined;
  plan.layers.forEach((layer, i) => {
    const gemms = resolveLayerGemms(layer, floatPrecision);
    for (const gemm of GEMM_NAMES) {
      const p = gemms[gemm];
      if (p !== 'fp32' && p !== 'fp16') {
        throw new UnsupportedPrecisionError(
          BACKEND,
          p,
          `plan.layers[${i}]`,
          `GEMM ${gemm}; this build runs fp32 and fp16`,
        );
      }
      chosen ??= p;
      if (p !== chosen) {
        throw new UnsupportedPrecisionError(
          BACKEND,
          p,
          `plan.layers[${i}]`,
          `GEMM ${gemm}; a session runs one float precision (${chosen} elsewhere in the plan)`,
        );
      }
    }
  });
  return { precision: chosen ?? floatPrecision, plan };
}
