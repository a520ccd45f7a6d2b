/** The largest INT8 magnitude of symmetric quantization: values map to `[-127, 127]`. */
export const INT8_MAX = 127;

/** What the error estimates read from a histogram of |x|. */
export interface HistogramLike {
  readonly counts: Float64Array;
  readonly binWidth: number;
  readonly total: number;
  readonly absMax: number;
  readonly sumSquares: number;
}

/**
 * `∫₀ˣ (t − Q(t))² dt` for symmetric INT8 quantization with clipping threshold `threshold`
 * (step `d = threshold / 127`, `Q(t) = d · min(round(t / d), 127)`), in closed form: the rounding cells
 * `[(m − ½)d, (m + ½)d)` each contribute `d³/12` (the first, half a cell, `d³/24`), and beyond the
 * threshold the clipping error grows as `(t − threshold)²`.
 */
export function cumulativeSquaredError(x: number, threshold: number): number {
  const d = threshold / INT8_MAX;
  if (x > threshold) {
    const over = x - threshold;
    return (INT8_MAX * d * d * d) / 12 + (over * over * over) / 3;
  }
  const m = Math.floor(x / d + 0.5);
  if (m === 0) return (x * x * x) / 3;
  const r = x - m * d;
  return (d * d * d) / 24 + ((m - 1) * d * d * d) / 12 + (r * r * r + (d * d * d) / 8) / 3;
}

/**
 * The expected total squared quantization error of the values a histogram holds, for one threshold,
 * taking the values of each bin as spread evenly over it (exact in the limit of narrow bins; it does
 * not pretend every value sits at its bin's centre, which would make the error jump between thresholds).
 * @param lastBin the last nonempty bin (found when not given).
 * @param clipMoments prefix sums from {@link clippingMoments}, to price the clipped bins in O(1).
 */
export function quantizationNoise(
  h: HistogramLike,
  threshold: number,
  lastBin = lastNonEmpty(h),
  clipMoments?: ClippingMoments,
): number {
  const w = h.binWidth;
  if (w === 0 || !(threshold > 0)) return 0;
  const counts = h.counts;
  let noise = 0;
  let previous = 0;
  // Bins below the bin holding the threshold: rounding error, bin by bin.
  const cut = Math.min(lastBin + 1, Math.floor(threshold / w));
  for (let k = 0; k < cut; k++) {
    const next = cumulativeSquaredError((k + 1) * w, threshold);
    const c = counts[k] as number;
    if (c > 0) noise += (c * (next - previous)) / w;
    previous = next;
  }
  if (cut > lastBin) return noise;
  // The bin holding the threshold: rounding below it, clipping above it.
  const c = counts[cut] as number;
  if (c > 0) noise += (c * (cumulativeSquaredError((cut + 1) * w, threshold) - previous)) / w;
  // Bins wholly above: Σ c ((b − T)³ − (a − T)³) / 3w, from moments of the bins.
  const moments = clipMoments ?? clippingMoments(h, lastBin);
  const from = cut + 1;
  const to = lastBin + 1;
  if (from < to) {
    const m3 = (moments.cube[to] as number) - (moments.cube[from] as number);
    const m2 = (moments.square[to] as number) - (moments.square[from] as number);
    const m1 = (moments.linear[to] as number) - (moments.linear[from] as number);
    const t = threshold;
    noise += (m3 - 3 * t * m2 + 3 * t * t * m1) / (3 * w);
  }
  return noise;
}

/** Prefix sums of `c·(b³ − a³)`, `c·(b² − a²)` and `c·(b − a)` over bins `[a, b)`. */
export interface ClippingMoments {
  readonly cube: Float64Array;
  readonly square: Float64Array;
  readonly linear: Float64Array;
}

/** The prefix sums {@link quantizationNoise} prices clipped bins with (bins `0…lastBin`). */
export function clippingMoments(h: HistogramLike, lastBin = lastNonEmpty(h)): ClippingMoments {
  const n = lastBin + 1;
  const w = h.binWidth;
  const cube = new Float64Array(n + 1);
  const square = new Float64Array(n + 1);
  const linear = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) {
    const c = h.counts[k] as number;
    const a = k * w;
    const b = (k + 1) * w;
    cube[k + 1] = (cube[k] as number) + c * (b * b * b - a * a * a);
    square[k + 1] = (square[k] as number) + c * (b * b - a * a);
    linear[k + 1] = (linear[k] as number) + c * (b - a);
  }
  return { cube, square, linear };
}

/**
 * Signal-to-quantization-noise ratio in dB of the observed values at `threshold`: `10 · log10(Σx² /
 * E[Σ(x − Q(x))²])`, the signal exact and the noise estimated from the histogram
 * ({@link quantizationNoise}). `Infinity` when there is no noise (all zeros).
 */
export function sqnrDb(h: HistogramLike, threshold: number): number {
  const noise = quantizationNoise(h, threshold);
  if (noise <= 0) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10(h.sumSquares / noise);
}

/** The index of the last nonempty bin of a histogram, -1 when all are empty. */
export function lastNonEmpty(h: Pick<HistogramLike, 'counts'>): number {
  for (let k = h.counts.length - 1; k >= 0; k--) if ((h.counts[k] as number) > 0) return k;
  return -1;
}
