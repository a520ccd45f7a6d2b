import type { GemmName, LayerPrecision } from '@samp/core';
import { type BasePrecision, type Candidate, candidateKey, uniformCandidate } from './candidate';

/**
 * The plans timed to fit a latency table: all-base (all-fp32 by default); per mode, the mode on every layer
 * and the two alternating plans (the mode on the even layers, the base on the odd ones, then the reverse);
 * per GEMM, that GEMM alone in int8 on every layer of the base. Each mode's cost then rests on three plans instead of one, so one unlucky measurement no
 * longer sets it alone, and the alternating plans put a precision change between every pair of layers, so
 * a cost the additive model misses at such borders shows up in the fit's leave-one-out error (the uniform
 * plans, priced from the alternating ones, miss).
 * @example
 * latencyFitPlans(4, ['int8-full'], []).map(describeCandidate); // ['----', 'FFFF', 'F-F-', '-F-F']
 * latencyFitPlans(4, ['fp8'], [], 'fp16').map(describeCandidate); // ['hhhh', 'eeee', 'eheh', 'hehe']
 */
export function latencyFitPlans(
  numLayers: number,
  modes: readonly LayerPrecision[],
  gemms: readonly GemmName[] = [],
  base: BasePrecision = 'fp32',
): Candidate[] {
  const all = uniformCandidate(numLayers, base);
  const plans: Candidate[] = [all];
  for (const mode of modes) {
    plans.push(uniformCandidate(numLayers, mode));
    for (const parity of [0, 1]) {
      plans.push(all.map((l, i) => (i % 2 === parity ? { precision: mode } : l)));
    }
  }
  for (const g of gemms) {
    plans.push(all.map(() => ({ precision: base, gemms: { [g]: 'int8' as const } })));
  }
  // One layer: the alternating plans are the uniform plan and the base again.
  const seen = new Set<string>();
  return plans.filter((p) => {
    const key = candidateKey(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
