import {
  type EncoderBackendV1,
  type LayerPrecision,
  type ModelArtifacts,
  PRECISION_PLAN_FORMAT,
  PRECISION_PLAN_VERSION,
  type PrecisionPlan,
  type QuantProfile,
  SampError,
  uniformPlan,
} from '@samp/core';
import type { Candidate, ExcludedPrecision } from '@samp/recommender';

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

/** The layer precisions tried on a backend besides fp32. */
export const TRIED_PRECISIONS: readonly LayerPrecision[] = ['int8-full', 'int8-ffn', 'fp16', 'fp8'];

/**
 * Which of {@link TRIED_PRECISIONS} the backend runs, asking it: a session it refuses with
 * `SAMP_UNSUPPORTED_PRECISION` gives the reason that precision is left out.
 */
export async function probePrecisions(
  backend: EncoderBackendV1,
  model: ModelArtifacts,
  profile: QuantProfile | undefined,
  threads: number | undefined,
): Promise<{ runnable: LayerPrecision[]; excluded: ExcludedPrecision[] }> {
  const runnable: LayerPrecision[] = [];
  const excluded: ExcludedPrecision[] = [];
  for (const precision of TRIED_PRECISIONS) {
    try {
      const session = await backend.createSession(model, {
        plan: uniformPlan(model, precision, { device: backend.device }),
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
