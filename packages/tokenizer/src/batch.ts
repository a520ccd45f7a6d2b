import type { Encoding } from './encoding';

/**
 * A padded batch in row-major typed arrays, ready for a backend: row r holds tokens
 * `[r * seqLength, (r + 1) * seqLength)`.
 */
export interface TokenBatch {
  /** Rows. */
  readonly batchSize: number;
  /** Tokens per row (after padding). */
  readonly seqLength: number;
  readonly ids: Int32Array;
  readonly typeIds: Int32Array;
  readonly attentionMask: Int32Array;
  /** Real (unpadded) tokens per row, special tokens included. */
  readonly lengths: Int32Array;
  /** `[start, end)` per token, flattened: `offsets[2 * (r * seqLength + t)]`. */
  readonly offsets: Int32Array;
  /** Which text each token came from (0, 1, or -1 for special tokens and padding). */
  readonly sequenceIds: Int8Array;
  /** The input each row came from (rows can be reordered by sorting and multiplied by overflowing windows). */
  readonly inputIndices: Int32Array;
}

/** Packs encodings into one batch padded to `seqLength` (or the longest when omitted). */
export function packBatch(
  encodings: readonly Encoding[],
  inputIndices: ArrayLike<number>,
  padId: number,
  seqLength?: number,
  padToMultipleOf = 0,
  paddingSide: 'right' | 'left' = 'right',
): TokenBatch {
  let L = seqLength ?? 0;
  if (seqLength === undefined) for (const e of encodings) L = Math.max(L, e.length);
  if (padToMultipleOf > 0 && L % padToMultipleOf > 0) L += padToMultipleOf - (L % padToMultipleOf);
  const B = encodings.length;
  const ids = new Int32Array(B * L).fill(padId);
  const typeIds = new Int32Array(B * L);
  const attentionMask = new Int32Array(B * L);
  const lengths = new Int32Array(B);
  const offsets = new Int32Array(B * L * 2);
  const sequenceIds = new Int8Array(B * L).fill(-1);
  for (let r = 0; r < B; r++) {
    const e = encodings[r] as Encoding;
    let real = 0;
    for (let t = 0; t < e.length; t++) real += e.attentionMask[t] as number;
    lengths[r] = real;
    const n = Math.min(e.length, L);
    const base = r * L + (paddingSide === 'left' ? L - n : 0);
    ids.set(e.ids.subarray(0, n), base);
    typeIds.set(e.typeIds.subarray(0, n), base);
    attentionMask.set(e.attentionMask.subarray(0, n), base);
    offsets.set(e.offsets.subarray(0, 2 * n), 2 * base);
    sequenceIds.set(e.sequenceIds.subarray(0, n), base);
  }
  return {
    batchSize: B,
    seqLength: L,
    ids,
    typeIds,
    attentionMask,
    lengths,
    offsets,
    sequenceIds,
    inputIndices: Int32Array.from(inputIndices),
  };
}

/** Concatenates batches row-wise (re-padding to the longest), keeping `inputIndices`. */
export function concatBatches(
  batches: readonly TokenBatch[],
  padId: number,
  paddingSide: 'right' | 'left' = 'right',
): TokenBatch {
  let L = 0;
  let B = 0;
  for (const b of batches) {
    L = Math.max(L, b.seqLength);
    B += b.batchSize;
  }
  const ids = new Int32Array(B * L).fill(padId);
  const typeIds = new Int32Array(B * L);
  const attentionMask = new Int32Array(B * L);
  const lengths = new Int32Array(B);
  const offsets = new Int32Array(B * L * 2);
  const sequenceIds = new Int8Array(B * L).fill(-1);
  const inputIndices = new Int32Array(B);
  let row = 0;
  for (const b of batches) {
    for (let r = 0; r < b.batchSize; r++, row++) {
      const s = r * b.seqLength;
      const d = row * L + (paddingSide === 'left' ? L - b.seqLength : 0);
      ids.set(b.ids.subarray(s, s + b.seqLength), d);
      typeIds.set(b.typeIds.subarray(s, s + b.seqLength), d);
      attentionMask.set(b.attentionMask.subarray(s, s + b.seqLength), d);
      offsets.set(b.offsets.subarray(2 * s, 2 * (s + b.seqLength)), 2 * d);
      sequenceIds.set(b.sequenceIds.subarray(s, s + b.seqLength), d);
      lengths[row] = b.lengths[r] as number;
      inputIndices[row] = b.inputIndices[r] as number;
    }
  }
  return {
    batchSize: B,
    seqLength: L,
    ids,
    typeIds,
    attentionMask,
    lengths,
    offsets,
    sequenceIds,
    inputIndices,
  };
}

/** The rows of a batch in a new order (`order[k]` is the source row of row k). */
export function reorderRows(b: TokenBatch, order: ArrayLike<number>): TokenBatch {
  const L = b.seqLength;
  const B = order.length;
  const ids = new Int32Array(B * L);
  const typeIds = new Int32Array(B * L);
  const attentionMask = new Int32Array(B * L);
  const lengths = new Int32Array(B);
  const offsets = new Int32Array(B * L * 2);
  const sequenceIds = new Int8Array(B * L);
  const inputIndices = new Int32Array(B);
  for (let r = 0; r < B; r++) {
    const src = order[r] as number;
    const s = src * L;
    const d = r * L;
    ids.set(b.ids.subarray(s, s + L), d);
    typeIds.set(b.typeIds.subarray(s, s + L), d);
    attentionMask.set(b.attentionMask.subarray(s, s + L), d);
    offsets.set(b.offsets.subarray(2 * s, 2 * (s + L)), 2 * d);
    sequenceIds.set(b.sequenceIds.subarray(s, s + L), d);
    lengths[r] = b.lengths[src] as number;
    inputIndices[r] = b.inputIndices[src] as number;
  }
  return {
    batchSize: B,
    seqLength: L,
    ids,
    typeIds,
    attentionMask,
    lengths,
    offsets,
    sequenceIds,
    inputIndices,
  };
}
