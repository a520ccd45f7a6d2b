import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { modelDir as tnewsDir } from '@samp/model-tnews-zh-small';

const repo = join(import.meta.dirname, '../../../..');

/** The trained models and their golden dev files (Hugging Face predictions). */
export const TRAINED = {
  tnews: tnewsDir,
  sst2: join(repo, 'models/sst2-en-small'),
  afqmc: join(repo, 'models/afqmc-zh-small'),
  cluener: join(repo, 'models/cluener-zh-small'),
} as const;

/** One golden dev line: the input, the gold answer and Hugging Face's outputs. */
export interface DevLine {
  text: string;
  text_pair?: string;
  /** Classification: the gold label's name. */
  label?: string;
  /** Token classification: the gold entities. */
  entities?: { type: string; start: number; end: number; text: string }[];
  input_ids: number[];
  /** Classification: HF's logits. Token classification: per token, for the first 200 lines only. */
  logits?: number[] | number[][];
  /** Token classification: HF's argmax label id per token (special tokens included). */
  predicted_tags?: number[];
}

/** The first `count` lines (all by default) of a model's `dev.jsonl.gz`. */
export function readDev(dir: string, count = Number.POSITIVE_INFINITY): DevLine[] {
  return gunzipSync(readFileSync(join(dir, 'dev.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, count)
    .map((l) => JSON.parse(l) as DevLine);
}

/** Writes lines as JSON Lines into a fresh temp folder; returns the file's path. */
export async function writeJsonl(lines: readonly unknown[], name = 'in.jsonl'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'samp-pred-'));
  const file = join(dir, name);
  await writeFile(file, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return file;
}

export const argmax = (v: readonly number[]): number =>
  v.reduce((best, x, i) => (x > (v[best] as number) ? i : best), 0);

/** The largest absolute difference of two equally long vectors (Infinity when the lengths differ). */
export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);
}
