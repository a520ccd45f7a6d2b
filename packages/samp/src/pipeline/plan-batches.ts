/**
 * Groups inputs into batches of similar length so that little compute goes to padding: inputs sorted by
 * their longest row (longest first, ties in input order), then cut into batches of `batchSize` inputs.
 * An input may span several consecutive rows (a bi-encoder encodes each text of a pair on its own);
 * its rows stay together and in order.
 * @param rowLengths the token count of each input's rows (one entry per input).
 * @returns batches of input indices; every input appears exactly once.
 * @example
 * planBatches([[3], [9], [5]], 2); // [[1, 2], [0]]
 */
export function planBatches(rowLengths: readonly (readonly number[])[], batchSize: number): number[][] {
  const longest = rowLengths.map((rows) => Math.max(0, ...rows));
  const order = longest
    .map((_, i) => i)
    .sort((a, b) => (longest[b] as number) - (longest[a] as number) || a - b);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize)
    batches.push(order.slice(start, start + batchSize));
  return batches;
}
