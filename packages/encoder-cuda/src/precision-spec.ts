import {
  checkPlanMatches,
  checkProfileMatches,
  collectWeightScales,
  type EncoderSessionOptions,
  GEMM_NAMES,
  type GemmName,
  type GemmPrecision,
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
import type { NativeLayerQuant, NativeLinearQuant } from './binding';

/** What a CUDA session runs at. */
export interface CudaPrecisionSpec {
  /** The session's `precision` as reported: `int8` when any GEMM is INT8, else `fp8` when any is FP8, else the float precision. */
  precision: SessionPrecision;
  /** What the float parts (LayerNorm, residual, float GEMMs and attention) store and compute in. */
  floatPrecision: 'fp32' | 'fp16';
  plan: PrecisionPlan | undefined;
  /** One entry per layer, absent when every GEMM is float. */
  layerQuant: NativeLayerQuant[] | undefined;
  /** The profile's per-channel weight scales, by the name the native side reads (the layer's source). */
  weightScales: Record<string, Float32Array> | undefined;
}

type LinearKey = Exclude<keyof NativeLayerQuant, 'attention'>;

/** The four Linears of a layer: their GEMM, the tap their input is quantized at, and their weights. */
const LINEARS: readonly {
  gemm: GemmName;
  key: LinearKey;
  tap: LayerActivationTap;
  weights: readonly string[];
}[] = [
  {
    gemm: 'qkv',
    key: 'qkv',
    tap: 'attention.qkv.input',
    weights: ['attention.query.weight', 'attention.key.weight', 'attention.value.weight'],
  },
  {
    gemm: 'attention-output',
    key: 'attentionOutput',
    tap: 'attention.context',
    weights: ['attention.output.weight'],
  },
  {
    gemm: 'ffn-intermediate',
    key: 'ffnIntermediate',
    tap: 'ffn.intermediate.input',
    weights: ['ffn.intermediate.weight'],
  },
  { gemm: 'ffn-output', key: 'ffnOutput', tap: 'ffn.output.input', weights: ['ffn.output.weight'] },
];

const BACKEND = 'cuda';
const FLOATS = new Set<GemmPrecision>(['fp32', 'fp16']);

/**
 * Resolves `precision`, `plan` and `profile` into what a CUDA session runs. Float parts run at one precision
 * per session: `fp32` (no TF32) or `fp16` (FP32 accumulation); `int8` and `fp8` without a plan are uniform
 * `int8-full` / `fp8` plans over FP16. In a plan each Linear (QKV, attention output, the two FFN GEMMs) runs
 * at the float precision, in INT8 (per-channel weight scales) or in FP8 E4M3 (FP16 sessions; per-tensor
 * weight scale); the attention matmuls (`attention-scores` and `attention-context`, together) run in INT8 or
 * float — an `fp8` layer's attention runs in FP16, the flash-attention kernel. INT8 and FP8 inputs use the
 * profile's static scales (E4M3 puts the profile's clipping range at its largest value, 448).
 * @throws UnsupportedPrecisionError for a quantized plan without a profile, a plan mixing fp32 and fp16
 * layers, FP8 in an FP32 session, or only one of the two attention matmuls in INT8; InvalidPlanError /
 * InvalidProfileError when either was made for another model or the profile lacks a scale the plan needs.
 */
export function resolveCudaPrecision(
  model: ModelArtifacts,
  options: EncoderSessionOptions,
): CudaPrecisionSpec {
  const requested = options.precision ?? 'fp32';
  if (!isSessionPrecision(requested)) {
    throw new InvalidArgumentError('precision', `expected fp32, fp16, int8 or fp8, got ${String(requested)}`);
  }
  const profile: QuantProfile | undefined = options.profile;
  if (profile !== undefined) checkProfileMatches(profile, model);
  let plan = options.plan;
  if (plan !== undefined) checkPlanMatches(plan, model);
  else if (requested === 'int8') plan = uniformPlan(model, 'int8-full', { device: BACKEND });
  else if (requested === 'fp8') plan = uniformPlan(model, 'fp8', { device: BACKEND });
  if (plan === undefined) {
    const floatPrecision = requested === 'fp16' ? 'fp16' : 'fp32';
    return {
      precision: floatPrecision,
      floatPrecision,
      plan: undefined,
      layerQuant: undefined,
      weightScales: undefined,
    };
  }

  // Quantized layers alone leave the float parts at FP16 (SAMP's choice on GPUs) unless fp32 is asked for.
  const floatPrecision = floatPrecisionOf(plan, options.precision === 'fp32' ? 'fp32' : 'fp16');
  let anyInt8 = false;
  let anyFp8 = false;
  const weightScales: Record<string, Float32Array> = {};
  const layerQuant = plan.layers.map((layer, i): NativeLayerQuant => {
    const gemms = resolveLayerGemms(layer, floatPrecision);
    const at = `plan.layers[${i}]`;
    const quant: NativeLayerQuant = {
      qkv: null,
      attentionOutput: null,
      ffnIntermediate: null,
      ffnOutput: null,
    };
    for (const g of GEMM_NAMES) {
      if (FLOATS.has(gemms[g]) && gemms[g] !== floatPrecision) {
        throw new UnsupportedPrecisionError(
          BACKEND,
          gemms[g],
          at,
          `GEMM ${g}; a session runs one float precision (${floatPrecision} elsewhere in the plan)`,
        );
      }
    }
    const scores = gemms['attention-scores'];
    if ((scores === 'int8') !== (gemms['attention-context'] === 'int8')) {
      throw new UnsupportedPrecisionError(
        BACKEND,
        'int8',
        at,
        'attention-scores and attention-context run together: both int8 or both float',
      );
    }
    if (scores === 'int8') {
      const p = needProfile(profile, 'int8', at);
      const scale = (tap: LayerActivationTap) => profileInputScale(p, layerActivationName(i, tap));
      quant.attention = {
        query: scale('attention.query'),
        key: scale('attention.key'),
        value: scale('attention.value'),
        probs: profileInputScale(p, layerActivationName(i, 'attention.probs'), false) ?? 0,
      };
      anyInt8 = true;
    }
    for (const { gemm, key, tap, weights } of LINEARS) {
      const precision = gemms[gemm];
      if (precision !== 'int8' && precision !== 'fp8') continue;
      if (precision === 'fp8' && floatPrecision !== 'fp16') {
        throw new UnsupportedPrecisionError(
          BACKEND,
          'fp8',
          at,
          `GEMM ${gemm}; FP8 GEMMs run in fp16 sessions`,
        );
      }
      const p = needProfile(profile, precision, at);
      const linear: NativeLinearQuant = {
        precision,
        scale: profileInputScale(p, layerActivationName(i, tap)),
      };
      quant[key] = linear;
      if (precision === 'int8') {
        anyInt8 = true;
        collectWeightScales(p, model, i, weights, weightScales);
      } else {
        anyFp8 = true;
      }
    }
    return quant;
  });
  const quantized = layerQuant.some(
    (q) => q.attention !== undefined || LINEARS.some(({ key }) => q[key] !== null),
  );
  return {
    precision: anyInt8 ? 'int8' : anyFp8 ? 'fp8' : floatPrecision,
    floatPrecision,
    plan,
    layerQuant: quantized ? layerQuant : undefined,
    weightScales: Object.keys(weightScales).length > 0 ? weightScales : undefined,
  };
}

/** The plan's float layers decide the session's float precision; a plan of quantized layers only takes `fallback`. */
function floatPrecisionOf(plan: PrecisionPlan, fallback: 'fp32' | 'fp16'): 'fp32' | 'fp16' {
  let found: 'fp32' | 'fp16' | undefined;
  plan.layers.forEach((layer, i) => {
    const own: GemmPrecision[] = [layer.precision as GemmPrecision, ...Object.values(layer.gemms ?? {})];
    for (const p of own) {
      if (p !== 'fp32' && p !== 'fp16') continue;
      if (found !== undefined && p !== found) {
        throw new UnsupportedPrecisionError(
          BACKEND,
          p,
          `plan.layers[${i}]`,
          `a session runs one float precision (${found} elsewhere in the plan)`,
        );
      }
      found = p;
    }
  });
  return found ?? fallback;
}

function needProfile(profile: QuantProfile | undefined, precision: 'int8' | 'fp8', at: string): QuantProfile {
  if (profile !== undefined) return profile;
  throw new UnsupportedPrecisionError(
    BACKEND,
    precision,
    at,
    'the CUDA INT8 and FP8 kernels use static activation scales: pass a QuantProfile (samp calibrate)',
  );
}
