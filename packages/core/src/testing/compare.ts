/**
 * The largest absolute difference between `actual` and `expected` over the positions `include`
 * selects, divided by the largest |expected| there (so one tolerance fits models of any scale).
 * Returns 0 when nothing is selected; NaN anywhere in `actual` gives Infinity.
 * @example
 * relativeError(output, golden) <= 1e-4;
 */
export function relativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  include: (index: number) => boolean = () => true,
): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    if (!include(i)) continue;
    const a = actual[i] as number;
    const e = expected[i] as number;
    const diff = Math.abs(a - e);
    if (Number.isNaN(diff)) return Number.POSITIVE_INFINITY;
    if (diff > maxDiff) maxDiff = diff;
    if (Math.abs(e) > maxRef) maxRef = Math.abs(e);
  }
  return maxDiff === 0 ? 0 : maxDiff / Math.max(maxRef, Number.MIN_VALUE);
}
