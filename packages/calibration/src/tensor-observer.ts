import {
  type ActivationShapeConfig,
  activationTensorShape,
  type ObservedTensor,
  parseActivationTensorName,
} from '@samp/core';
import { AbsHistogram } from './abs-histogram';
import { CalibrationTensorError, NonFiniteActivationError } from './errors';
import { forEachRealSegment, type ObservedLayout } from './real-token-segments';

/** The layout of an activation tap's observed tensor. */
export function layoutOf(name: string): ObservedLayout {
  const parsed = parseActivationTensorName(name);
  return parsed?.kind === 'layer' && (parsed.tap === 'attention.scores' || parsed.tap === 'attention.probs')
    ? 'attention'
    : 'tokens';
}

/**
 * Folds one activation tensor's batches into running statistics (a histogram of |x| with its maximum,
 * count and sum of squares, or only per-channel maxima), reading the real tokens only. Each batch's
 * tensor can be dropped once observed.
 * @internal
 */
export class TensorObserver {
  readonly name: string;
  readonly layout: ObservedLayout;
  /** Statistics over every real value (absent in channel-maximum mode). */
  readonly histogram: AbsHistogram | undefined;
  /** Per-channel max |x| (only in channel-maximum mode, `tokens` layout). */
  readonly channelAbsMax: Float64Array | undefined;
  readonly #divisors: Float64Array | undefined;
  #scratch = new Float32Array(0);

  /**
   * @param mode `histogram` (default) or `channel-max`.
   * @param divisors per-channel factors each value is divided by before it is counted (SmoothQuant: the
   *   statistics of the smoothed activation).
   */
  constructor(
    name: string,
    readonly config: ActivationShapeConfig,
    options: { mode?: 'histogram' | 'channel-max'; numBins?: number; divisors?: readonly number[] } = {},
  ) {
    this.name = name;
    this.layout = layoutOf(name);
    const width = activationTensorShape(name, config, 1, 1)?.at(-1) ?? 0;
    if (options.mode === 'channel-max') {
      this.histogram = undefined;
      this.channelAbsMax = new Float64Array(width);
    } else {
      this.histogram = new AbsHistogram(options.numBins);
      this.channelAbsMax = undefined;
    }
    this.#divisors = options.divisors === undefined ? undefined : Float64Array.from(options.divisors);
  }

  /**
   * Adds one batch's tensor.
   * @throws CalibrationTensorError when the tensor is absent or not shaped as the tap's convention says.
   * @throws NonFiniteActivationError when a real value is NaN or infinite.
   */
  observe(
    tensor: ObservedTensor | undefined,
    batchSize: number,
    sequenceLength: number,
    realTokens: Int32Array,
    batchIndex: number,
  ): void {
    const expected = activationTensorShape(this.name, this.config, batchSize, sequenceLength) ?? [];
    if (tensor === undefined) {
      throw new CalibrationTensorError(
        'activation',
        this.name,
        'the session did not return it (run option observe)',
      );
    }
    const size = expected.reduce((a, b) => a * b, 1);
    if (
      tensor.shape.length !== expected.length ||
      tensor.shape.some((d, i) => d !== expected[i]) ||
      tensor.data.length !== size
    ) {
      throw new CalibrationTensorError(
        'activation',
        this.name,
        `expected shape [${expected.join(', ')}] (${size} values), the session returned [${tensor.shape.join(', ')}] (${tensor.data.length} values)`,
      );
    }
    const data = tensor.data;
    const channels = expected.at(-1) ?? 1;
    let finite = true;
    forEachRealSegment(this.layout, expected, realTokens, (start, end) => {
      if (!finite) return;
      if (this.channelAbsMax !== undefined) {
        finite = accumulateChannelMax(this.channelAbsMax, data, start, end, channels);
        return;
      }
      const histogram = this.histogram as AbsHistogram;
      if (this.#divisors === undefined) {
        finite = histogram.add(data, start, end);
        return;
      }
      if (this.#scratch.length < end - start) this.#scratch = new Float32Array(end - start);
      const scratch = this.#scratch;
      const divisors = this.#divisors;
      for (let i = start, j = 0; i < end; i++, j++)
        scratch[j] = (data[i] as number) / (divisors[j % channels] as number);
      finite = histogram.add(scratch, 0, end - start);
    });
    if (!finite) throw new NonFiniteActivationError(this.name, batchIndex);
  }
}

/** Running per-channel max |x| over `[start, end)` (whole tokens); false on NaN or Infinity. */
function accumulateChannelMax(
  max: Float64Array,
  data: Float32Array,
  start: number,
  end: number,
  channels: number,
): boolean {
  for (let i = start; i < end; i += channels) {
    for (let j = 0; j < channels; j++) {
      const a = Math.abs(data[i + j] as number);
      if (!Number.isFinite(a)) return false;
      if (a > (max[j] as number)) max[j] = a;
    }
  }
  return true;
}
