import {
  type PlanPrediction,
  PRECISION_PLAN_FORMAT,
  PRECISION_PLAN_VERSION,
  type PrecisionPlan,
} from '@samp/core';
import type { Recommendation } from './recommendation';

/**
 * The versioned PrecisionPlan of a recommendation's choice: its layers (with per-GEMM overrides), the
 * predicted accuracy, drop and latency at the recommendation's shape, and the frontier. The accuracy is the
 * held-out one when the choice was scored there (an estimate the choice did not select on), else the
 * choose split's. The frontier lists the layer-level plans (the plan format has no per-GEMM frontier points).
 * @param options `createdAt` (default now), `device` (default the recommendation's).
 * @example
 * await writePrecisionPlan('plan.json', toPrecisionPlan(recommendation));
 */
export function toPrecisionPlan(
  recommendation: Recommendation,
  options: { createdAt?: Date; device?: string } = {},
): PrecisionPlan {
  const { choice, tables } = recommendation;
  const predicted: PlanPrediction = {
    accuracy: choice.heldOutScore ?? choice.score,
    accuracyDrop: choice.heldOutDrop ?? choice.drop,
    latencyMs: choice.latencyMs,
    batchSize: recommendation.batchSize,
    sequenceLength: recommendation.sequenceLength,
  };
  return {
    format: PRECISION_PLAN_FORMAT,
    version: PRECISION_PLAN_VERSION,
    model: { ...tables.model },
    device: options.device ?? recommendation.device,
    layers: choice.plan.map((l) =>
      l.gemms === undefined ? { precision: l.precision } : { precision: l.precision, gemms: { ...l.gemms } },
    ),
    predicted,
    frontier: recommendation.frontier
      .filter((p) => p.plan.every((l) => l.gemms === undefined))
      .map((p) => ({ layers: p.plan.map((l) => l.precision), accuracy: p.score, latencyMs: p.latencyMs })),
    createdAt: (options.createdAt ?? new Date()).toISOString(),
  };
}
