import { InvalidArgumentError } from '@samp/core';
import { type Candidate, describeCandidate } from './candidate';
import type { LatencyMeasurer } from './evaluator';

/** How many rounds `recommend()` times each plan in by default (the median of the rounds counts). */
export const DEFAULT_LATENCY_ROUNDS = 3;

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Times `plans` in `rounds` calls of the measurer, each round starting one plan further along, and
 * returns each plan's median over the rounds. A measurer opens fresh sessions per call, so the median
 * also rejects a session or a round that ran slow as a whole: on a quiet 16-core Xeon one plan measured
 * 3.56 ms in one round and 4.09 ms in the next, more than the 10% the latency model is held to.
 * @param onRound told after each round (1-based).
 * @throws InvalidArgumentError when the measurer returns the wrong count or a time that is not positive.
 * @example
 * const ms = await timeInRounds(measureLatency, [fp32, int8], 3); // [median fp32, median int8]
 */
export async function timeInRounds(
  measure: LatencyMeasurer,
  plans: readonly Candidate[],
  rounds: number = DEFAULT_LATENCY_ROUNDS,
  onRound?: (round: number) => void,
): Promise<number[]> {
  if (plans.length === 0) return [];
  const perPlan = plans.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    // Rotate the order: a plan timed first (cold caches, a frequency ramp) is a different one each round.
    const order = plans.map((_, i) => (i + round) % plans.length);
    const ordered = order.map((i) => plans[i] as Candidate);
    const times = await measure(ordered);
    if (!Array.isArray(times) || times.length !== ordered.length) {
      throw new InvalidArgumentError(
        'measureLatency',
        `returned ${Array.isArray(times) ? times.length : String(times)} times for ${ordered.length} plans; expected one per plan`,
      );
    }
    times.forEach((ms, k) => {
      const plan = ordered[k] as Candidate;
      if (!(ms > 0) || !Number.isFinite(ms)) {
        throw new InvalidArgumentError(
          'measureLatency',
          `returned ${String(ms)} ms for ${describeCandidate(plan)}; expected a positive number`,
        );
      }
      perPlan[order[k] as number]?.push(ms);
    });
    onRound?.(round + 1);
  }
  return perPlan.map(median);
}
