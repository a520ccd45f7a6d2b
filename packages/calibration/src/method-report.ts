import { CALIBRATION_METHODS, type CalibrationMethod } from '@samp/core';
import { thresholdForMethod } from './methods/threshold-for-method';
import { type HistogramLike, INT8_MAX, sqnrDb } from './quantization-error';

/** One method's choice for one tensor. */
export interface MethodOutcome {
  /** The clipping threshold (the INT8 scale is threshold / 127). */
  readonly threshold: number;
  /** SQNR in dB of the observed values quantized at that threshold (estimated from the histogram). */
  readonly sqnrDb: number;
}

/** How every method would quantize one tensor, for the comparison report. */
export interface TensorMethodReport {
  readonly name: string;
  /** Real values observed. */
  readonly count: number;
  readonly absMax: number;
  /** The method the profile uses, and its scale. */
  readonly method: CalibrationMethod;
  readonly scale: number;
  /** Every method's threshold and SQNR. */
  readonly methods: Readonly<Record<CalibrationMethod, MethodOutcome>>;
  /** The method with the highest SQNR on this tensor (the first in `max, percentile, mse, entropy` order on ties). */
  readonly bestBySqnr: CalibrationMethod;
}

/**
 * Compares the four methods on one tensor's statistics: each method's threshold and the SQNR it gives
 * on the observed values, with the scale of the method in use.
 * @param settings `percentile` for the percentile method (default 99.99).
 * @example
 * compareMethods('layers.0.attention.context', histogram, 'entropy').methods.max.sqnrDb;
 */
export function compareMethods(
  name: string,
  h: HistogramLike,
  method: CalibrationMethod,
  settings: { percentile?: number } = {},
): TensorMethodReport {
  const methods = {} as Record<CalibrationMethod, MethodOutcome>;
  let bestBySqnr: CalibrationMethod = CALIBRATION_METHODS[0];
  for (const m of CALIBRATION_METHODS) {
    const threshold = thresholdForMethod(m, h, settings);
    methods[m] = { threshold, sqnrDb: sqnrDb(h, threshold) };
    if (methods[m].sqnrDb > methods[bestBySqnr].sqnrDb) bestBySqnr = m;
  }
  return {
    name,
    count: h.total,
    absMax: h.absMax,
    method,
    scale: scaleOf(methods[method].threshold),
    methods,
    bestBySqnr,
  };
}

/** The INT8 scale of a clipping threshold; an all-zero tensor (threshold 0) gets 1/127. */
export function scaleOf(threshold: number): number {
  return threshold > 0 ? threshold / INT8_MAX : 1 / INT8_MAX;
}
