import {
  type EncoderBackendV1,
  type LayerPrecision,
  type ModelArtifacts,
  PRECISION_PLAN_FORMAT,
  PRECISION_PLAN_VERSION,
  type PrecisionPlan,
  type QuantProfile,
  SampError,
} from '@samp/core';
import type { BasePrecision, Candidate, ExcludedPrecision } from '@samp/recommender';

/** A PrecisionPlan document of a recommender candidate, for a session of `model`. */
export function planDocument(model: ModelArtifacts, plan: Candidate, device: string): PrecisionPlan {
  return {
    format: PRECISION_PLAN_FORMAT,
    version: PRECISION_PLAN_VERSION,
    model: { fingerprint: model.fingerprint, numHiddenLayers: model.config.numHiddenLayers },
    device,
    layers: plan.map((l) => ({ ...l })),
  };
}

/** The layer precisions tried as modes on a backend besides the base (never the base itself). */
export const TRIED_PRECISIONS: readonly LayerPrecision[] = ['int8-full', 'int8-ffn', 'fp16', 'fp8'];

/**
 * The plan a mode is probed with: the first layer in `mode`, the others at `base`, the kind of plan the
 * search runs (a backend that runs the mode only on every layer, or only beside another float precision,
 * refuses it here instead of in the middle of the search).
 */
export function probePlan(
  model: ModelArtifacts,
  mode: LayerPrecision,
  base: BasePrecision,
  device: string,
): PrecisionPlan {
  const layers = Array.from({ length: model.config.numHiddenLayers }, (_, i) => ({
    precision: i === 0 ? mode : base,
  }));
  return planDocument(model, layers, device);
}

/**
 * Which of {@link TRIED_PRECISIONS} (the base left out) the backend runs beside `base`, asking it with
 * {@link probePlan} in a session whose unset layers are at `base`: a session it refuses with
 * `SAMP_UNSUPPORTED_PRECISION` gives the reason that precision is left out.
 * @param base the recommender's base precision (default `fp32`).
 */
export async function probePrecisions(
  backend: EncoderBackendV1,
  model: ModelArtifacts,
  profile: QuantProfile | undefined,
  threads: number | undefined,
  base: BasePrecision = 'fp32',
): Promise<{ runnable: LayerPrecision[]; excluded: ExcludedPrecision[] }> {
  const runnable: LayerPrecision[] = [];
  const excluded: ExcludedPrecision[] = [];
  for (const precision of TRIED_PRECISIONS) {
    if (precision === base) continue;
    try {
      const session = await backend.createSession(model, {
        plan: probePlan(model, precision, base, backend.device),
        precision: base,
        ...(profile === undefined ? {} : { profile }),
        ...(threads === undefined ? {} : { threads }),
      });
      await session.dispose();
      runnable.push(precision);
    } catch (error) {
      if (SampError.isInstance(error) && error.code === 'SAMP_UNSUPPORTED_PRECISION') {
        excluded.push({ precision, reason: error.message });
      } else throw error;
    }
  }
  return { runnable, excluded };
}
