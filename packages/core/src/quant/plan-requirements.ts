import { InvalidProfileError } from '../errors';
import { GEMM_NAMES, type GemmName, type GemmPrecision, gemmPrecisionsOf } from './precision';
import type { LayerPlan, PrecisionPlan } from './precision-plan';
import type { QuantProfile } from './quant-profile';
import { gemmInputTensorNames } from './tensor-names';

/**
 * The precision every GEMM of a planned layer runs at: the layer precision's defaults
 * (`gemmPrecisionsOf`) with the plan's per-GEMM overrides applied.
 * @param floatPrecision what the INT8 modes leave in floating point (default `fp16`).
 */
export function resolveLayerGemms(
  layer: LayerPlan,
  floatPrecision: 'fp32' | 'fp16' = 'fp16',
): Record<GemmName, GemmPrecision> {
  return { ...gemmPrecisionsOf(layer.precision, floatPrecision), ...layer.gemms };
}

/**
 * The activation tensors whose scales running `plan` needs: the inputs of every INT8 or FP8 GEMM, in
 * layer and GEMM order.
 * @example
 * requiredActivationTensors(uniformPlan(model, 'int8-ffn'));
 * // ['layers.0.ffn.intermediate.input', 'layers.0.ffn.output.input', 'layers.1.ffn.intermediate.input', …]
 */
export function requiredActivationTensors(plan: PrecisionPlan): string[] {
  const names: string[] = [];
  plan.layers.forEach((layer, i) => {
    const gemms = resolveLayerGemms(layer);
    for (const gemm of GEMM_NAMES) {
      const p = gemms[gemm];
      if (p === 'int8' || p === 'fp8') {
        for (const name of gemmInputTensorNames(i, gemm)) if (!names.includes(name)) names.push(name);
      }
    }
  });
  return names;
}

/**
 * Refuses a profile that lacks a scale `plan` needs (see {@link requiredActivationTensors}).
 * @param source where the profile came from, for error messages (default `QuantProfile`).
 * @throws InvalidProfileError naming the first missing tensor and how many are missing.
 */
export function checkProfileCoversPlan(
  profile: QuantProfile,
  plan: PrecisionPlan,
  source = 'QuantProfile',
): void {
  const missing = requiredActivationTensors(plan).filter((name) => profile.activations[name] === undefined);
  const first = missing[0];
  if (first !== undefined) {
    throw new InvalidProfileError(
      source,
      `activations["${first}"]`,
      `the plan quantizes GEMMs whose input scales the profile lacks (${missing.length} missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`,
    );
  }
}
