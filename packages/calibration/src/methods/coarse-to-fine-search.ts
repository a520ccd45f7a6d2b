/**
 * The integer in `[lo, hi]` where `cost` is smallest, found coarse-to-fine: about `coarseSteps`
 * evenly spaced candidates first, then every integer within one coarse step of the best of them. Ties go
 * to the smaller candidate, so the answer is deterministic. It costs about `coarseSteps + 2 · step`
 * evaluations instead of `hi − lo + 1`, which matters when each evaluation reads a whole histogram.
 * @example
 * coarseToFineMinimum(128, 4096, (i) => (i - 1000) ** 2); // 1000
 */
export function coarseToFineMinimum(
  lo: number,
  hi: number,
  cost: (candidate: number) => number,
  coarseSteps = 256,
): number {
  if (hi <= lo) return lo;
  const step = Math.max(1, Math.ceil((hi - lo) / coarseSteps));
  let best = lo;
  let bestCost = cost(lo);
  const consider = (i: number) => {
    const c = cost(i);
    if (c < bestCost || (c === bestCost && i < best)) {
      best = i;
      bestCost = c;
    }
  };
  for (let i = lo + step; i < hi; i += step) consider(i);
  consider(hi);
  if (step === 1) return best;
  const center = best;
  for (let i = Math.max(lo, center - step + 1); i <= Math.min(hi, center + step - 1); i++) {
    if (i !== center) consider(i);
  }
  return best;
}
