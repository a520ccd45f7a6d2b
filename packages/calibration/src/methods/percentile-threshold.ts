import type { HistogramLike } from '../quantization-error';

/**
 * The clipping threshold that keeps `percentile` percent of the observed |x| inside it: the value where
 * the cumulative histogram reaches that fraction, interpolated linearly within its bin, never above the
 * observed maximum.
 * @param percentile in (0, 100]; 100 gives the maximum.
 * @example
 * percentileThreshold(histogram, 99.99);
 */
export function percentileThreshold(h: HistogramLike, percentile: number): number {
  if (percentile >= 100 || h.total === 0 || h.binWidth === 0) return h.absMax;
  const target = (percentile / 100) * h.total;
  const counts = h.counts;
  let cumulative = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k] as number;
    if (c > 0 && cumulative + c >= target) {
      const within = (target - cumulative) / c;
      return Math.min(h.absMax, (k + within) * h.binWidth);
    }
    cumulative += c;
  }
  return h.absMax;
}
