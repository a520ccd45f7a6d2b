import { InvalidArgumentError } from '@samp/core';

/** SmoothQuant's default migration strength. */
export const DEFAULT_SMOOTH_QUANT_ALPHA = 0.5;

/**
 * SmoothQuant's per-channel factors `s_j = max|X_j|^α / max|W_j|^(1−α)`, from the activation's
 * per-channel maxima over the calibration set and the consuming weight's per-input-column maxima. A
 * channel where either maximum is 0 keeps `s_j = 1` (there is nothing to migrate).
 * @param alpha migration strength in [0, 1]: 0 leaves the activation as it is, 1 moves all of its range into the weight.
 * @example
 * smoothQuantFactors([8, 0.5], [0.1, 0.2], 0.5); // [sqrt(8) / sqrt(0.1), sqrt(0.5) / sqrt(0.2)]
 */
export function smoothQuantFactors(
  activationChannelMax: ArrayLike<number>,
  weightColumnMax: ArrayLike<number>,
  alpha: number = DEFAULT_SMOOTH_QUANT_ALPHA,
): number[] {
  checkAlpha(alpha);
  if (activationChannelMax.length !== weightColumnMax.length) {
    throw new InvalidArgumentError(
      'weightColumnMax',
      `has ${weightColumnMax.length} channels, the activation has ${activationChannelMax.length}`,
    );
  }
  const factors: number[] = [];
  for (let j = 0; j < activationChannelMax.length; j++) {
    const x = activationChannelMax[j] as number;
    const w = weightColumnMax[j] as number;
    const s = x > 0 && w > 0 ? x ** alpha / w ** (1 - alpha) : 1;
    factors.push(Number.isFinite(s) && s > 0 ? s : 1);
  }
  return factors;
}

/** @throws InvalidArgumentError unless alpha is a number in [0, 1]. */
export function checkAlpha(alpha: unknown): asserts alpha is number {
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) {
    throw new InvalidArgumentError('smoothQuantAlpha', `expected a number from 0 to 1, got ${String(alpha)}`);
  }
}

/** Max |W[o, j]| over the rows o of a row-major `[rows, columns]` weight, per column j. */
export function columnAbsMax(weight: Float32Array, columns: number): Float64Array {
  const max = new Float64Array(columns);
  for (let i = 0; i < weight.length; i += columns) {
    for (let j = 0; j < columns; j++) {
      const a = Math.abs(weight[i + j] as number);
      if (a > (max[j] as number)) max[j] = a;
    }
  }
  return max;
}
