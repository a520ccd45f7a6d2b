import type { EncoderInput } from '../spec';

/** A batch as the samp addons take it: a plain object with only the fields that are present. */
export interface NativeEncoderBatch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds?: Int32Array;
  batchSize: number;
  sequenceLength: number;
}

/**
 * The object an addon's `runSession` reads for a (validated) batch: its fields, not copies of its arrays,
 * and nothing else the caller's object may carry (`tokenTypeIds` only when present).
 * @example
 * await binding.runSession(handle, toNativeBatch(input), runOptions);
 */
export function toNativeBatch(input: EncoderInput): NativeEncoderBatch {
  return {
    inputIds: input.inputIds,
    attentionMask: input.attentionMask,
    ...(input.tokenTypeIds === undefined ? {} : { tokenTypeIds: input.tokenTypeIds }),
    batchSize: input.batchSize,
    sequenceLength: input.sequenceLength,
  };
}
