// @samp/calibration depends on @samp/core only and never on a backend. Its tests run the real CPU
// backend (a devDependency) and the trained models of the repository.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { EncoderInput } from '@samp/core';

export { createCpuBackend } from '@samp/encoder-cpu-vnni';

const packages = join(import.meta.dirname, '../../..');

/** The trained TNEWS classifier (4 layers, hidden 256) and its golden dev file. */
export const TNEWS_DIR = join(packages, 'model-tnews-zh-small/model');

/** The trained SST-2 classifier (4 layers, hidden 128: the cheapest real model to run in tests). */
export const SST2_DIR = join(packages, '../models/sst2-en-small');

/** One line of a model's dev.jsonl.gz: the gold label and Hugging Face's token ids and logits. */
export interface DevLine {
  readonly label: string;
  readonly input_ids: number[];
  readonly logits: number[];
}

/** Lines `[start, end)` of a model folder's dev.jsonl.gz. */
export function readDevLines(dir: string, start: number, end: number): DevLine[] {
  return gunzipSync(readFileSync(join(dir, 'dev.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(start, end)
    .map((l) => JSON.parse(l) as DevLine);
}

/** Pads token-id rows into batches of `batchSize` (padding id 0, mask 0 after each row's tokens). */
export function toBatches(rows: readonly (readonly number[])[], batchSize: number): EncoderInput[] {
  const batches: EncoderInput[] = [];
  for (let at = 0; at < rows.length; at += batchSize) {
    const chunk = rows.slice(at, at + batchSize);
    const seq = Math.max(...chunk.map((r) => r.length));
    const inputIds = new Int32Array(chunk.length * seq);
    const attentionMask = new Int32Array(chunk.length * seq);
    chunk.forEach((r, b) => {
      inputIds.set(r, b * seq);
      attentionMask.fill(1, b * seq, b * seq + r.length);
    });
    batches.push({ inputIds, attentionMask, batchSize: chunk.length, sequenceLength: seq });
  }
  return batches;
}

/** Index of the largest value. */
export const argmax = (v: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
};
