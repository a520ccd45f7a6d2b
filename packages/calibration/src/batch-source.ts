import type { EncoderInput } from '@samp/core';

/**
 * The calibration set as padded batches: an array or other re-iterable collection, an async iterable,
 * or a function that returns a fresh (async) iterable each time it is called. SmoothQuant reads the
 * batches twice, so a one-shot generator is only enough without it; pass a function that opens the data
 * again instead.
 */
export type CalibrationBatches =
  | Iterable<EncoderInput>
  | AsyncIterable<EncoderInput>
  | (() => Iterable<EncoderInput> | AsyncIterable<EncoderInput>);

/** Iterates one pass over the batches. */
export async function* readBatches(source: CalibrationBatches): AsyncGenerator<EncoderInput> {
  const iterable = typeof source === 'function' ? source() : source;
  if (Symbol.asyncIterator in iterable) {
    for await (const batch of iterable as AsyncIterable<EncoderInput>) yield batch;
  } else {
    for (const batch of iterable as Iterable<EncoderInput>) yield batch;
  }
}
