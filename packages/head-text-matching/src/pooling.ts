import { type EncoderOutput, InvalidArgumentError } from '@samp/core';

/** How a text's token vectors become one embedding. */
export type Pooling = 'mean' | 'cls';

/** Options of {@link poolEmbeddings}. */
export interface PoolingOptions {
  /** `mean` (default): the average over the tokens the attention mask keeps; `cls`: the first token. */
  pooling?: Pooling;
  /** Scale each embedding to unit L2 norm (default true). */
  normalize?: boolean;
}

/**
 * One embedding per row of an encoder output, in float64: mean pooling over the attention mask (as
 * sentence-transformers' `Pooling(mode='mean')`, special tokens included) or the first token, optionally
 * L2-normalised. Padded positions never contribute.
 * @throws InvalidArgumentError when the mask does not match the output's shape.
 * @example
 * const [a, b] = poolEmbeddings(output, attentionMask);
 * cosineSimilarity(a, b); // 0.83
 */
export function poolEmbeddings(
  output: EncoderOutput,
  attentionMask: Int32Array,
  options: PoolingOptions = {},
): Float64Array[] {
  const { batchSize: B, sequenceLength: S, hiddenSize: H, lastHiddenState: h } = output;
  if (attentionMask.length !== B * S)
    throw new InvalidArgumentError('attentionMask', `has ${attentionMask.length} values, expected ${B}×${S}`);
  if (h.length !== B * S * H)
    throw new InvalidArgumentError(
      'output.lastHiddenState',
      `has ${h.length} values, expected ${B}×${S}×${H}`,
    );
  const pooling = options.pooling ?? 'mean';
  const rows: Float64Array[] = [];
  for (let b = 0; b < B; b++) {
    const e = new Float64Array(H);
    if (pooling === 'cls') {
      for (let j = 0; j < H; j++) e[j] = h[b * S * H + j] as number;
    } else {
      let count = 0;
      for (let t = 0; t < S; t++) {
        if (attentionMask[b * S + t] === 0) continue;
        count++;
        const at = (b * S + t) * H;
        for (let j = 0; j < H; j++) e[j] = (e[j] as number) + (h[at + j] as number);
      }
      // sentence-transformers clamps the token count at 1e-9: an all-padding row stays zero.
      const n = Math.max(count, 1e-9);
      for (let j = 0; j < H; j++) e[j] = (e[j] as number) / n;
    }
    if (options.normalize ?? true) {
      // torch.nn.functional.normalize: divide by max(‖e‖, 1e-12).
      const norm = Math.max(Math.sqrt(dot(e, e)), 1e-12);
      for (let j = 0; j < H; j++) e[j] = (e[j] as number) / norm;
    }
    rows.push(e);
  }
  return rows;
}

/** The dot product of two vectors of the same length, in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new InvalidArgumentError('b', `has length ${b.length}, expected ${a.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/**
 * Cosine similarity in float64; 0 when either vector is zero (torch's `cosine_similarity` clamps the
 * norms at 1e-8 the same way).
 */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const d = dot(a, b);
  const na = Math.sqrt(dot(a, a));
  const nb = Math.sqrt(dot(b, b));
  return d / (Math.max(na, 1e-8) * Math.max(nb, 1e-8));
}
