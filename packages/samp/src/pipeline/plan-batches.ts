/**
 * Groups inputs into batches of similar length so that little compute goes to padding: inputs sorted by
 * their longest row (longest first, ties in input order), then cut into batches of at most `batchSize`
 * inputs and at most `maxTokens` padded tokens (rows × the batch's longest row, which is its first
 * input's). An input may span several consecutive rows (a bi-encoder encodes each text of a pair on its
 * own); its rows stay together and in order. An input whose rows alone exceed `maxTokens` gets a batch
 * of its own.
 * @param rowLengths the token count of each input's rows (one entry per input).
 * @param batchSize the most inputs in a batch.
 * @param maxTokens the most padded tokens in a batch (default: no limit).
 * @returns batches of input indices; every input appears exactly once.
 * @example
 * planBatches([[3], [9], [5]], 2); // [[1, 2], [0]]
 * planBatches([[3], [9], [5]], 2, 10); // [[1], [2, 0]]
 */
export function planBatches(
  rowLengths: readonly (readonly number[])[],
  batchSize: number,
  maxTokens: number = Number.POSITIVE_INFINITY,
): number[][] {
  const longest = rowLengths.map((rows) => rows.reduce((m, n) => Math.max(m, n), 0));
  const order = longest
    .map((_, i) => i)
    .sort((a, b) => (longest[b] as number) - (longest[a] as number) || a - b);
  const batches: number[][] = [];
  let batch: number[] = [];
  let rows = 0;
  let width = 0; // the padded length of the open batch: its first (longest) input's longest row
  for (const i of order) {
    const r = (rowLengths[i] as readonly number[]).length;
    if (batch.length > 0 && (batch.length === batchSize || (rows + r) * width > maxTokens)) {
      batches.push(batch);
      batch = [];
      rows = 0;
    }
    if (batch.length === 0) width = longest[i] as number;
    batch.push(i);
    rows += r;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
