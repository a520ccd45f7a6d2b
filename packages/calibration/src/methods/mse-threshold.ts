import { clippingMoments, type HistogramLike, lastNonEmpty, quantizationNoise } from '../quantization-error';
import { coarseToFineMinimum } from './coarse-to-fine-search';

/**
 * The clipping threshold with the smallest expected squared quantization error over the observed values
 * (clipping error of the outliers plus rounding error of the rest, {@link quantizationNoise}), searched
 * over the histogram's bin edges up to the observed maximum.
 * @example
 * mseThreshold(histogram); // ≤ histogram.absMax
 */
export function mseThreshold(h: HistogramLike): number {
  const last = lastNonEmpty(h);
  if (last < 0 || h.binWidth === 0) return h.absMax;
  const w = h.binWidth;
  // Candidate k is the threshold min(k · w, absMax); the last one is the maximum itself.
  const hi = last + 1;
  const thresholdOf = (k: number) => Math.min(k * w, h.absMax);
  const moments = clippingMoments(h, last);
  const best = coarseToFineMinimum(1, hi, (k) => quantizationNoise(h, thresholdOf(k), last, moments));
  return thresholdOf(best);
}
