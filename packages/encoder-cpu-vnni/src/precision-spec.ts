import {
  checkPlanMatches,
  checkProfileMatches,
  collectWeightScales,
  type EncoderSessionOptions,
  GEMM_NAMES,
  type GemmName,
  InvalidArgumentError,
  isSessionPrecision,
  type LayerActivationTap,
  layerActivationName,
  type ModelArtifacts,
  type PrecisionPlan,
  profileInputScale,
  type QuantProfile,
  resolveLayerGemms,
  type SessionPrecision,
  UnsupportedPrecisionError,
  uniformPlan,
} from '@samp/core';
import type { NativeAttentionQuant, NativeGemmQuant, NativeLayerQuant } from './binding';

/** The keys of the four Linears in a NativeLayerQuant. */
type LinearKey = Exclude<keyof NativeLayerQuant, 'attention'>;

/** The INT8 GEMMs of the cpu backend: the four Linears of a layer and the tap each one quantizes. */
const LINEAR_GEMMS: readonly { gemm: GemmName; key: LinearKey; tap: LayerActivationTap }[] = [
  { gemm: 'qkv', key: 'qkv', tap: 'attention.qkv.input' },
  { gemm: 'attention-output', key: 'attentionOutput', tap: 'attention.context' },
  { gemm: 'ffn-intermediate', key: 'ffnIntermediate', tap: 'ffn.intermediate.input' },
  { gemm: 'ffn-output', key: 'ffnOutput', tap: 'ffn.output.input' },
];

/** The weights whose per-channel scales a profile may give, per Linear (QKV takes three). */
const LINEAR_WEIGHTS: Record<LinearKey, readonly string[]> = {
  qkv: ['attention.query.weight', 'attention.key.weight', 'attention.value.weight'],
  attentionOutput: ['attention.output.weight'],
  ffnIntermediate: ['ffn.intermediate.weight'],
  ffnOutput: ['ffn.output.weight'],
};

/** What the session runs at, in the native side's terms. */
export interface PrecisionSpec {
  /** The session's `precision` as reported. */
  precision: SessionPrecision;
  /** The plan in force (`precision: 'int8'` becomes a uniform `int8-full` plan). */
  plan: PrecisionPlan | undefined;
  /** One entry per layer, absent when every GEMM is FP32. */
  layerQuant: NativeLayerQuant[] | undefined;
  /** Per-channel weight scales from the profile, by canonical weight name. */
  weightScales: Record<string, Float32Array> | undefined;
}

const BACKEND = 'cpu';

/**
 * Resolves `precision`, `plan` and `profile` into per-GEMM INT8 choices: `plan` wins over `precision`
 * (`int8` = a uniform `int8-full` plan); an INT8 GEMM takes its input scale from `profile` (static) or
 * quantizes its input per row at run time (dynamic) when there is no profile. The attention matmuls
 * (`attention-scores` QKᵀ and `attention-context` probs·V, so every `int8-full` layer) run in INT8
 * together: with the profile's `attention.query` / `.key` / `.value` / `.probs` scales where it has them,
 * dynamic scales otherwise (probabilities at the fixed step 1/127, which covers softmax's [0, 1]).
 * @throws InvalidPlanError / InvalidProfileError when the plan or profile was made for another model, or
 * the profile lacks a scale an INT8 Linear needs (or has a non-positive one); UnsupportedPrecisionError for
 * fp16/fp8, and for a plan that runs only one of the two attention matmuls in INT8.
 */
export function resolvePrecisionSpec(model: ModelArtifacts, options: EncoderSessionOptions): PrecisionSpec {
  const requested = options.precision ?? 'fp32';
  if (!isSessionPrecision(requested)) {
    throw new InvalidArgumentError('precision', `expected fp32 or int8, got ${String(requested)}`);
  }
  if (requested === 'fp16' || requested === 'fp8') {
    throw new UnsupportedPrecisionError(BACKEND, requested, 'precision', 'CPUs run fp32 and int8');
  }
  const profile: QuantProfile | undefined = options.profile;
  if (profile !== undefined) checkProfileMatches(profile, model);
  let plan = options.plan;
  if (plan !== undefined) checkPlanMatches(plan, model);
  else if (requested === 'int8') plan = uniformPlan(model, 'int8-full', { device: 'cpu' });
  if (plan === undefined) {
    return { precision: 'fp32', plan: undefined, layerQuant: undefined, weightScales: undefined };
  }
  let anyInt8 = false;
  const weightScales: Record<string, Float32Array> = {};
  const layerQuant = plan.layers.map((layer, i) => {
    const gemms = resolveLayerGemms(layer, 'fp32');
    for (const gemm of GEMM_NAMES) {
      const p = gemms[gemm];
      if (p === 'fp16' || p === 'fp8') {
        throw new UnsupportedPrecisionError(
          BACKEND,
          p,
          `plan.layers[${i}]`,
          `GEMM ${gemm}; CPUs run fp32 and int8`,
        );
      }
    }
    const quant = {} as NativeLayerQuant;
    const scoresInt8 = gemms['attention-scores'] === 'int8';
    if (scoresInt8 !== (gemms['attention-context'] === 'int8')) {
      throw new UnsupportedPrecisionError(
        BACKEND,
        'int8',
        `plan.layers[${i}]`,
        'the CPU runs attention-scores and attention-context together: both int8 or both fp32',
      );
    }
    if (scoresInt8) {
      quant.attention = attentionQuant(profile, i);
      anyInt8 = true;
    }
    for (const { gemm, key, tap } of LINEAR_GEMMS) {
      quant[key] = gemmQuant(gemms[gemm] === 'int8', profile, layerActivationName(i, tap));
      if (quant[key] === -1) continue;
      anyInt8 = true;
      // The native side reads weights (and their scales) under the layer's source (ALBERT shares).
      collectWeightScales(profile, model, i, LINEAR_WEIGHTS[key], weightScales);
    }
    return quant;
  });
  const precision: SessionPrecision = options.plan === undefined ? requested : anyInt8 ? 'int8' : 'fp32';
  return {
    precision,
    plan,
    layerQuant: anyInt8 ? layerQuant : undefined,
    weightScales: Object.keys(weightScales).length > 0 ? weightScales : undefined,
  };
}

/** The INT8 attention's input scales of layer `layer`: the profile's where it has them, else 0 (dynamic). */
function attentionQuant(profile: QuantProfile | undefined, layer: number): NativeAttentionQuant {
  const scale = (tap: LayerActivationTap): number =>
    profile === undefined ? 0 : (profileInputScale(profile, layerActivationName(layer, tap), false) ?? 0);
  return {
    query: scale('attention.query'),
    key: scale('attention.key'),
    value: scale('attention.value'),
    probs: scale('attention.probs'),
  };
}

/** -1 for an FP32 GEMM, 0 for INT8 with dynamic scales (no profile), else the profile's static scale. */
function gemmQuant(int8: boolean, profile: QuantProfile | undefined, tap: string): NativeGemmQuant {
  if (!int8) return -1;
  return profile === undefined ? 0 : profileInputScale(profile, tap);
}
