import { InvalidArgumentError } from '@samp/core';
import { paretoFrontier } from './frontier';
import type { EvaluatedPlan, RecommendationRule } from './recommendation';

/**
 * The accuracy drop the default rule allows (a fraction: 0.01 is one point of accuracy, or of agreement
 * with the base plan in the label-free mode), relative to the base plan (fp32, or fp16 on GPUs).
 */
export const DEFAULT_MAX_ACCURACY_DROP = 0.01;

/** A choice and why it was made. */
export interface Choice {
  choice: EvaluatedPlan;
  constraintMet: boolean;
  explanation: string;
}

const points = (x: number) => `${(x * 100).toFixed(2)} points`;
const ms = (x: number) => `${x.toFixed(2)} ms`;

/** A short description of a plan for messages: label, score, drop and latency. */
export function summarizePlan(p: EvaluatedPlan, metric = 'accuracy'): string {
  return `${p.label} (${metric} ${(p.score * 100).toFixed(2)}%, drop ${points(p.drop)}, ${ms(p.latencyMs)} predicted)`;
}

/**
 * The knee of a frontier (fastest first, the base plan — most accurate — last): the point with the largest gain in
 * normalized speed minus normalized accuracy loss between its two ends — where further speed starts to
 * cost more accuracy than it is worth. A fastest end that loses nothing is its own knee.
 */
export function kneeOf(frontier: readonly EvaluatedPlan[]): EvaluatedPlan | undefined {
  const fastest = frontier[0];
  const slowest = frontier[frontier.length - 1];
  if (fastest === undefined || slowest === undefined) return undefined;
  const span = slowest.latencyMs - fastest.latencyMs;
  const lost = fastest.drop - slowest.drop;
  if (span <= 0 || lost <= 0) return fastest;
  let best = slowest;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (const p of frontier) {
    const speed = (slowest.latencyMs - p.latencyMs) / span;
    const loss = (p.drop - slowest.drop) / lost;
    const value = speed - loss;
    // Ties go to the faster plan (the frontier is fastest first).
    if (value > bestValue + 1e-12) {
      best = p;
      bestValue = value;
    }
  }
  return best;
}

/**
 * Chooses a plan under a rule: `max-accuracy-drop` → the fastest plan whose drop is within the limit;
 * `max-latency` → the most accurate plan within the latency limit (the closest, the fastest, with
 * `constraintMet: false` when none is); `default` → the knee ({@link kneeOf}) of the frontier restricted to
 * plans within the default drop ({@link DEFAULT_MAX_ACCURACY_DROP}).
 * @param plans every scored plan (the base plan included).
 * @param context the metric and shape for the explanation; `baseline` names the plan drops are measured
 *   against (default `fp32`).
 * @throws InvalidArgumentError for a negative or non-finite limit.
 */
export function choosePlan(
  plans: readonly EvaluatedPlan[],
  rule: RecommendationRule,
  context: { metric: string; batchSize: number; sequenceLength: number; baseline?: string },
): Choice {
  if (plans.length === 0) throw new InvalidArgumentError('plans', 'no plan was scored');
  const shape = `batch ${context.batchSize} × sequence ${context.sequenceLength}`;
  if (rule.kind === 'max-latency') {
    if (!(rule.maxLatencyMs > 0) || !Number.isFinite(rule.maxLatencyMs)) {
      throw new InvalidArgumentError(
        'maxLatencyMs',
        `expected a positive number of milliseconds, got ${rule.maxLatencyMs}`,
      );
    }
    const within = plans.filter((p) => p.latencyMs <= rule.maxLatencyMs);
    if (within.length === 0) {
      const fastest = paretoFrontier(plans)[0] as EvaluatedPlan;
      const over = fastest.latencyMs - rule.maxLatencyMs;
      return {
        choice: fastest,
        constraintMet: false,
        explanation: `the fastest of ${plans.length} plans, ${fastest.label}, is predicted at ${ms(fastest.latencyMs)} at ${shape}, ${ms(over)} (${((over / rule.maxLatencyMs) * 100).toFixed(1)}%) over the ${rule.maxLatencyMs} ms limit; a smaller batch or sequence length, or a faster device, is needed`,
      };
    }
    const choice = [...within].sort(
      (a, b) => b.score - a.score || a.latencyMs - b.latencyMs,
    )[0] as EvaluatedPlan;
    return {
      choice,
      constraintMet: true,
      explanation: `the most accurate of the ${within.length} plans predicted within ${rule.maxLatencyMs} ms at ${shape}`,
    };
  }
  const maxDrop = rule.maxDrop;
  if (!(maxDrop >= 0) || !Number.isFinite(maxDrop)) {
    throw new InvalidArgumentError(
      'maxAccuracyDrop',
      `expected a non-negative fraction (0.01 = 1 point), got ${maxDrop}`,
    );
  }
  // A tolerance for float noise in drops computed as differences of fractions.
  const within = plans.filter((p) => p.drop <= maxDrop + 1e-12);
  if (within.length === 0) {
    const best = [...plans].sort((a, b) => a.drop - b.drop || a.latencyMs - b.latencyMs)[0] as EvaluatedPlan;
    return {
      choice: best,
      constraintMet: false,
      explanation: `every plan loses more than ${points(maxDrop)} of ${context.metric}; the best, ${best.label}, loses ${points(best.drop)}`,
    };
  }
  if (rule.kind === 'max-accuracy-drop') {
    const choice = [...within].sort(
      (a, b) => a.latencyMs - b.latencyMs || b.score - a.score,
    )[0] as EvaluatedPlan;
    return {
      choice,
      constraintMet: true,
      explanation: `the fastest of the ${within.length} plans within ${points(maxDrop)} of ${context.baseline ?? 'fp32'}'s ${context.metric} (predicted at ${shape})`,
    };
  }
  const frontier = paretoFrontier(within);
  const choice = kneeOf(frontier) as EvaluatedPlan;
  return {
    choice,
    constraintMet: true,
    explanation: `the knee of the accuracy–latency frontier among the ${within.length} plans within the default ${points(maxDrop)} drop (largest normalized speed gain minus accuracy loss)`,
  };
}
