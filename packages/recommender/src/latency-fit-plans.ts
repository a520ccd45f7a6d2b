import type { GemmName, LayerPrecision } from '@samp/core';
import { type Candidate, candidateKey, uniformCandidate } from './candidate';

/**
 * The plans timed to fit a latency table: all-fp32; per mode, the mode on every layer and the two
 * alternating plans (the mode on the even layers, then on the odd ones); per GEMM, that GEMM alone in int8
 * on every layer. Each mode's cost then rests on three plans instead of one, so one unlucky measurement no
 * longer sets it alone, and the alternating plans put a precision change between every pair of layers, so
 * a cost the additive model misses at such borders shows up in the fit's leave-one-out error (the uniform
 * plans, priced from the alternating ones, miss).
 * @example
 * latencyFitPlans(4, ['int8-full'], []).map(describeCandidate); // ['----', 'FFFF', 'F-F-', '-F-F']
 */
export function latencyFitPlans(
  numLayers: number,
  modes: readonly LayerPrecision[],
  gemms: readonly GemmName[] = [],
): Candidate[] {
  const fp32 = uniformCandidate(numLayers, 'fp32');
  const plans: Candidate[] = [fp32];
  for (const mode of modes) {
    plans.push(uniformCandidate(numLayers, mode));
    for (const parity of [0, 1]) {
      plans.push(fp32.map((l, i) => (i % 2 === parity ? { precision: mode } : l)));
    }
  }
  for (const g of gemms) {
    plans.push(fp32.map(() => ({ precision: 'fp32' as const, gemms: { [g]: 'int8' as const } })));
  }
  // One layer: the alternating plans are the uniform plan and fp32 again.
  const seen = new Set<string>();
  return plans.filter((p) => {
    const key = candidateKey(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
