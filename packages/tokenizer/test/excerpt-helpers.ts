import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TokenBatch } from '../src/batch';
import type { BaseTokenizer } from '../src/tokenizer';
import { FIXTURES } from './golden-helpers';

/** Real lines (SST-2 + WikiText-2, FewCLUE TNEWS + IFLYTEK), written by scripts/make-excerpts.mjs. */
export function excerpt(lang: 'en' | 'zh'): string[] {
  return readFileSync(join(FIXTURES, `excerpt-${lang}.txt`), 'utf8')
    .split('\n')
    .filter(Boolean);
}

/** Every batch array of two batches is equal. */
export function expectSameBatch(a: TokenBatch, b: TokenBatch): void {
  expect(a.batchSize).toBe(b.batchSize);
  expect(a.seqLength).toBe(b.seqLength);
  for (const k of [
    'ids',
    'typeIds',
    'attentionMask',
    'lengths',
    'offsets',
    'sequenceIds',
    'inputIndices',
  ] as const) {
    const x = a[k];
    const y = b[k];
    expect(x.length, k).toBe(y.length);
    let diff = -1;
    for (let i = 0; i < x.length; i++)
      if (x[i] !== y[i]) {
        diff = i;
        break;
      }
    expect(diff, `${k} differs at ${diff}`).toBe(-1);
  }
}

/** The tokens of `text` with their surfaces, for assertions on ids and offsets. */
export function surfaces(tok: BaseTokenizer, text: string): { id: number; surface: string; start: number }[] {
  const seq = tok.tokenizeToSeq(text);
  return Array.from(seq.ids, (id, k) => ({
    id,
    surface: text.slice(seq.starts[k] as number, seq.ends[k] as number),
    start: seq.starts[k] as number,
  }));
}
