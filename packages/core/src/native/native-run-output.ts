import type { EncoderInput, EncoderOutput, ObservedTensor } from '../spec';

/** What the samp addons' `runSession` resolves to, as far as the spec's EncoderOutput goes. */
export interface NativeEncoderResult {
  lastHiddenState: Float32Array;
  hiddenStates?: Float32Array[];
  observed?: Record<string, ObservedTensor>;
}

/** What a run asked for, once checked: the fields of {@link toEncoderOutput}'s `request`. */
export interface NativeRunRequest {
  /** The run's `outputHiddenStates` option (default false). */
  outputHiddenStates?: boolean;
  /** The tensor names the run observes (from `checkObserveNames`); `observed` is set only when non-empty. */
  observe: readonly string[];
}

/**
 * The spec's EncoderOutput of a native run of `input`: `hiddenStates` only when asked for (`[]` if the
 * addon returned none), `observed` only when names were observed.
 * @param hiddenSize the model's `hiddenSize`.
 * @example
 * return toEncoderOutput(input, config.hiddenSize, result, { outputHiddenStates, observe });
 */
export function toEncoderOutput(
  input: EncoderInput,
  hiddenSize: number,
  result: NativeEncoderResult,
  request: NativeRunRequest,
): EncoderOutput {
  const output: EncoderOutput = {
    lastHiddenState: result.lastHiddenState,
    batchSize: input.batchSize,
    sequenceLength: input.sequenceLength,
    hiddenSize,
  };
  if (request.outputHiddenStates === true) output.hiddenStates = result.hiddenStates ?? [];
  if (request.observe.length > 0) {
    // A fresh record: the addon's object is not handed on to callers.
    const observed: Record<string, ObservedTensor> = {};
    for (const [name, t] of Object.entries(result.observed ?? {})) observed[name] = t;
    output.observed = observed;
  }
  return output;
}
