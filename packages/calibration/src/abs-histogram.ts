import { InvalidArgumentError } from '@samp/core';

/** Bins of an activation histogram by default: at least 2048 of them cover the observed range. */
export const DEFAULT_NUM_BINS = 4096;

/**
 * A streaming histogram of |x| over `[0, range)` in `numBins` equal bins, with the exact running maximum,
 * count and sum of squares.
 *
 * Range growth: `range` is always a power of two strictly above every |x| seen. When a larger value
 * arrives the range doubles as often as needed and each run of 2^k old bins merges into one new bin.
 * Because the bin edges of the wider range are edges of the narrower one and `|x| · numBins / range` is
 * an exact power-of-two scaling, every value ends up in exactly the bin it would have had with the final
 * range from the start: the histogram depends on the multiset of values only, never on their order or
 * batching, and it needs a single pass. The price is resolution: the data covers between half and all
 * of the bins (hence 4096 by default).
 * @example
 * const h = new AbsHistogram(4096);
 * h.add(values, 0, values.length);
 * h.binWidth; // range / 4096
 */
export class AbsHistogram {
  /** A power of two, at least 256. */
  readonly numBins: number;
  /** Counts per bin; bin k holds `k · binWidth ≤ |x| < (k + 1) · binWidth`. */
  counts: Float64Array;
  /** Values added. */
  total = 0;
  /** The largest |x| added. */
  absMax = 0;
  /** Σ x², exact up to float64 rounding. */
  sumSquares = 0;
  #range = 0;
  /** Zeros seen before any nonzero value fixed a range. */
  #pendingZeros = 0;

  constructor(numBins: number = DEFAULT_NUM_BINS) {
    checkNumBins(numBins);
    this.numBins = numBins;
    this.counts = new Float64Array(numBins);
  }

  /** The histogram's upper end (0 while every value seen was 0). */
  get range(): number {
    return this.#range;
  }

  /** Width of one bin (0 while every value seen was 0). */
  get binWidth(): number {
    return this.#range / this.numBins;
  }

  /**
   * Adds `values[start..end)`.
   * @returns false when a value is NaN or infinite (the histogram must not be used after that).
   */
  add(values: Float32Array, start: number, end: number): boolean {
    let range = this.#range;
    let counts = this.counts;
    let toBin = range > 0 ? this.numBins / range : 0;
    let max = this.absMax;
    let squares = 0;
    for (let i = start; i < end; i++) {
      const a = Math.abs(values[i] as number);
      // One loop: the range grows (rarely) as soon as a value reaches it; NaN never compares true.
      if (a >= range) {
        if (a === Number.POSITIVE_INFINITY) return false;
        if (a === 0) {
          this.#pendingZeros++;
          continue;
        }
        this.#cover(a);
        range = this.#range;
        counts = this.counts;
        toBin = this.numBins / range;
      }
      const k = (a * toBin) | 0;
      counts[k] = (counts[k] as number) + 1;
      squares += a * a;
      if (a > max) max = a;
    }
    if (Number.isNaN(squares)) return false;
    this.absMax = max;
    this.total += end - start;
    this.sumSquares += squares;
    return true;
  }

  /** Widens the range to a power of two strictly above `max`, merging bins. */
  #cover(max: number): void {
    if (max < this.#range) return;
    let range = this.#range;
    if (range === 0) {
      range = 2 ** Math.floor(Math.log2(max));
      // log2 may round either way at the edges; settle on the smallest power of two above max.
      while (range <= max) range *= 2;
      while (range / 2 > max) range /= 2;
      this.#range = range;
      this.counts[0] = (this.counts[0] as number) + this.#pendingZeros;
      this.#pendingZeros = 0;
      return;
    }
    let factor = 1;
    while (range <= max) {
      range *= 2;
      factor *= 2;
    }
    const merged = new Float64Array(this.numBins);
    const old = this.counts;
    for (let k = 0; k < this.numBins; k++) {
      const target = Math.floor(k / factor);
      merged[target] = (merged[target] as number) + (old[k] as number);
    }
    this.counts = merged;
    this.#range = range;
  }
}

/** @throws InvalidArgumentError unless `numBins` is a power of two between 256 and 2^20. */
export function checkNumBins(numBins: unknown): asserts numBins is number {
  if (
    typeof numBins !== 'number' ||
    !Number.isInteger(numBins) ||
    numBins < 256 ||
    numBins > 2 ** 20 ||
    (numBins & (numBins - 1)) !== 0
  ) {
    throw new InvalidArgumentError(
      'numBins',
      `expected a power of two from 256 to 1048576, got ${String(numBins)}`,
    );
  }
}
