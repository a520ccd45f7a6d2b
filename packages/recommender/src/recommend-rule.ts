import { InvalidArgumentError } from '@samp/core';
import { DEFAULT_MAX_ACCURACY_DROP } from './choose';
import type { RecommendationRule } from './recommendation';

/** The constraint options both entry points take. */
export interface ConstraintOptions {
  /** Choose the fastest plan that loses at most this much accuracy (a fraction: 0.01 = 1 point). */
  maxAccuracyDrop?: number;
  /** Choose the most accurate plan predicted within this many milliseconds per batch. */
  maxLatencyMs?: number;
  /** The drop the default rule (no constraint) stays within (default {@link DEFAULT_MAX_ACCURACY_DROP}). */
  defaultMaxAccuracyDrop?: number;
}

/**
 * The rule the options ask for.
 * @throws InvalidArgumentError when both constraints are given, or one is not a valid number.
 */
export function ruleOf(options: ConstraintOptions): RecommendationRule {
  const { maxAccuracyDrop, maxLatencyMs } = options;
  if (maxAccuracyDrop !== undefined && maxLatencyMs !== undefined) {
    throw new InvalidArgumentError(
      'maxAccuracyDrop',
      'give maxAccuracyDrop or maxLatencyMs, not both (one is the constraint, the other is what is optimized)',
    );
  }
  if (maxAccuracyDrop !== undefined) {
    if (typeof maxAccuracyDrop !== 'number' || !(maxAccuracyDrop >= 0) || maxAccuracyDrop > 1) {
      throw new InvalidArgumentError(
        'maxAccuracyDrop',
        `expected a fraction between 0 and 1 (0.01 = 1 point), got ${String(maxAccuracyDrop)}`,
      );
    }
    return { kind: 'max-accuracy-drop', maxDrop: maxAccuracyDrop };
  }
  if (maxLatencyMs !== undefined) {
    if (typeof maxLatencyMs !== 'number' || !(maxLatencyMs > 0) || !Number.isFinite(maxLatencyMs)) {
      throw new InvalidArgumentError(
        'maxLatencyMs',
        `expected a positive number of milliseconds, got ${String(maxLatencyMs)}`,
      );
    }
    return { kind: 'max-latency', maxLatencyMs };
  }
  const d = options.defaultMaxAccuracyDrop ?? DEFAULT_MAX_ACCURACY_DROP;
  if (typeof d !== 'number' || !(d >= 0) || d > 1) {
    throw new InvalidArgumentError(
      'defaultMaxAccuracyDrop',
      `expected a fraction between 0 and 1, got ${String(d)}`,
    );
  }
  return { kind: 'default', maxDrop: d };
}
