import {
  type EncoderBackendV1,
  InvalidArgumentError,
  type ModelArtifacts,
  type QuantProfile,
  SampError,
  uniformPlan,
} from '@samp/core';
import { type BasePrecision, isBasePrecision } from '@samp/recommender';

/** A base precision to use, or `auto`: let the backend decide (see {@link chooseBasePrecision}). */
export type BasePrecisionChoice = BasePrecision | 'auto';

/** Options of {@link chooseBasePrecision}. */
export interface BasePrecisionOptions {
  /** `fp32`, `fp16` (checked: the backend must run it) or `auto` (default). */
  readonly requested?: BasePrecisionChoice;
  readonly profile?: QuantProfile;
  readonly threads?: number;
}

/**
 * The float precision the recommender leaves unquantized layers at on `backend`. `auto`: `fp16` when the
 * backend's device is `cuda` and it opens a session of `model` on a uniform fp16 plan (what GPUs serve; a
 * CUDA session runs one float precision, so the search must not mix in fp32), else `fp32`. `fp16` asked for
 * explicitly must run there.
 * @throws UnsupportedPrecisionError when `fp16` is asked for on a backend that refuses it; InvalidArgumentError
 * for an unknown choice; whatever else the backend throws opening the session (GpuUnavailableError, …).
 * @example
 * const base = await chooseBasePrecision(backend, model); // 'fp16' on a GPU, 'fp32' on a CPU
 */
export async function chooseBasePrecision(
  backend: EncoderBackendV1,
  model: ModelArtifacts,
  options: BasePrecisionOptions = {},
): Promise<BasePrecision> {
  const requested = options.requested ?? 'auto';
  if (requested !== 'auto' && !isBasePrecision(requested)) {
    throw new InvalidArgumentError('basePrecision', `expected fp32, fp16 or auto, got ${String(requested)}`);
  }
  if (requested === 'fp32') return 'fp32';
  if (requested === 'auto' && backend.device !== 'cuda') return 'fp32';
  try {
    const session = await backend.createSession(model, {
      plan: uniformPlan(model, 'fp16', { device: backend.device }),
      precision: 'fp16',
      ...(options.profile === undefined ? {} : { profile: options.profile }),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
    });
    await session.dispose();
    return 'fp16';
  } catch (error) {
    // Asked for, a refusal is the answer; on auto it only means this GPU backend keeps fp32.
    const refused = SampError.isInstance(error) && error.code === 'SAMP_UNSUPPORTED_PRECISION';
    if (refused && requested === 'auto') return 'fp32';
    throw error;
  }
}
