import type { EncoderInput } from '@samp/core';

/** How an observed tensor is laid out: per token `[batch, seq, channels]`, or attention `[batch, heads, seq, seq]`. */
export type ObservedLayout = 'tokens' | 'attention';

/**
 * Real (unmasked) tokens per row of a batch. Padding only ever follows a row's real tokens (the encoder
 * spec), so the count is also where the padding starts.
 */
export function realTokenCounts(input: EncoderInput): Int32Array {
  const { batchSize, sequenceLength, attentionMask } = input;
  const counts = new Int32Array(batchSize);
  for (let b = 0; b < batchSize; b++) {
    let n = 0;
    for (let t = 0; t < sequenceLength; t++) if (attentionMask[b * sequenceLength + t] === 1) n++;
    counts[b] = n;
  }
  return counts;
}

/**
 * Calls `visit(start, end)` for each contiguous run of an observed tensor's values that belongs to real
 * tokens only: per row its real tokens (`tokens` layout), or per row, head and real query position its
 * real key positions (`attention` layout). Padded positions are skipped because their values are
 * unspecified (and masked attention scores are huge negative numbers that would swamp any range).
 */
export function forEachRealSegment(
  layout: ObservedLayout,
  shape: readonly number[],
  realTokens: Int32Array,
  visit: (start: number, end: number) => void,
): void {
  if (layout === 'tokens') {
    const [batch = 0, seq = 0, channels = 0] = shape;
    for (let b = 0; b < batch; b++) {
      const start = b * seq * channels;
      const n = realTokens[b] as number;
      if (n > 0) visit(start, start + n * channels);
    }
    return;
  }
  const [batch = 0, heads = 0, seq = 0] = shape;
  for (let b = 0; b < batch; b++) {
    const n = realTokens[b] as number;
    for (let h = 0; h < heads; h++) {
      for (let q = 0; q < n; q++) {
        const start = ((b * heads + h) * seq + q) * seq;
        visit(start, start + n);
      }
    }
  }
}
