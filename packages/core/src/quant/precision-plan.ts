import type { GemmName, GemmPrecision, LayerPrecision } from './precision';

/** The `format` marker of a PrecisionPlan document. */
export const PRECISION_PLAN_FORMAT = 'samp.precision-plan';

/** The PrecisionPlan version this copy of samp reads and writes. */
export const PRECISION_PLAN_VERSION = 1;

/** The precision of one encoder layer, with optional per-GEMM overrides. */
export interface LayerPlan {
  precision: LayerPrecision;
  /** GEMMs that run at another precision than `precision` implies (see `gemmPrecisionsOf`). */
  gemms?: Partial<Record<GemmName, GemmPrecision>>;
}

/** What the recommender predicted for a plan, at the batch shape it measured. */
export interface PlanPrediction {
  accuracy?: number;
  /** Accuracy lost relative to fp32 (positive means worse). */
  accuracyDrop?: number;
  latencyMs?: number;
  batchSize?: number;
  sequenceLength?: number;
}

/** One point of the accuracy/latency Pareto frontier the recommender explored. */
export interface FrontierPoint {
  layers: LayerPrecision[];
  accuracy: number;
  latencyMs: number;
}

/**
 * A per-layer (and optionally per-GEMM) precision assignment for one model, version 1: what the
 * recommender produces and what a session's `plan` option takes. `layers[i]` is the i-th encoder
 * layer; there is exactly one entry per layer.
 * @example
 * const plan: PrecisionPlan = {
 *   format: 'samp.precision-plan',
 *   version: 1,
 *   model: { fingerprint: model.fingerprint, numHiddenLayers: 2 },
 *   device: 'cuda',
 *   layers: [{ precision: 'int8-full' }, { precision: 'int8-ffn', gemms: { 'ffn-output': 'fp16' } }],
 * };
 */
export interface PrecisionPlan {
  format: typeof PRECISION_PLAN_FORMAT;
  version: typeof PRECISION_PLAN_VERSION;
  model: { fingerprint: string; numHiddenLayers: number };
  /** The device the plan was tuned for (`cuda`, `cpu`, `cuda:NVIDIA H100…`), or `any`. */
  device: string;
  layers: LayerPlan[];
  predicted?: PlanPrediction;
  frontier?: FrontierPoint[];
  /** RFC 3339 date-time of the recommendation. */
  createdAt?: string;
}

/** What {@link uniformPlan} needs from a model (a `ModelArtifacts` fits). */
export interface PlanTarget {
  readonly fingerprint: string;
  readonly config: { readonly numHiddenLayers: number };
}

/**
 * A plan that runs every layer of `model` at one precision.
 * @param model the model (its fingerprint and layer count are recorded).
 * @param precision every layer's precision.
 * @param options `device` the plan is for (default `any`).
 * @example
 * const plan = uniformPlan(model, 'int8-ffn', { device: 'cuda' });
 */
export function uniformPlan(
  model: PlanTarget,
  precision: LayerPrecision,
  options: { device?: string } = {},
): PrecisionPlan {
  return {
    format: PRECISION_PLAN_FORMAT,
    version: PRECISION_PLAN_VERSION,
    model: { fingerprint: model.fingerprint, numHiddenLayers: model.config.numHiddenLayers },
    device: options.device ?? 'any',
    layers: Array.from({ length: model.config.numHiddenLayers }, () => ({ precision })),
  };
}
