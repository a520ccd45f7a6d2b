import type { CalibrationMethod } from '@samp/core';
import type { HistogramLike } from '../quantization-error';
import { entropyThreshold } from './entropy-threshold';
import { mseThreshold } from './mse-threshold';
import { percentileThreshold } from './percentile-threshold';

/** The percentile the `percentile` method keeps by default. */
export const DEFAULT_PERCENTILE = 99.99;

/**
 * The clipping threshold `method` chooses for one tensor's observations: `max` (the largest |x|),
 * `percentile` (`percentile` percent of |x| inside, default 99.99), `mse` (least expected squared error)
 * or `entropy` (least KL divergence). The INT8 scale is the threshold / 127.
 * @example
 * thresholdForMethod('percentile', histogram, { percentile: 99.9 });
 */
export function thresholdForMethod(
  method: CalibrationMethod,
  h: HistogramLike,
  settings: { percentile?: number } = {},
): number {
  switch (method) {
    case 'max':
      return h.absMax;
    case 'percentile':
      return percentileThreshold(h, settings.percentile ?? DEFAULT_PERCENTILE);
    case 'mse':
      return mseThreshold(h);
    case 'entropy':
      return entropyThreshold(h);
  }
}
