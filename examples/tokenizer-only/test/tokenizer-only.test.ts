import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Piece {
  token: string;
  id: number;
  typeId: number;
  start: number;
  end: number;
  slice: string;
}

// Run as users run it (it imports the built @samp/tokenizer, whose pool worker is a dist file).
describe('examples/tokenizer-only', () => {
  const script = join(import.meta.dirname, '..', 'tokenizer-only.mjs');
  const result = spawnSync(process.execPath, [script, '--json'], { encoding: 'utf8' });

  it('runs cleanly', () => {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  const report = JSON.parse(result.stdout || '{}') as {
    offsets: Piece[];
    pair: Piece[];
    chinese: Piece[];
    truncation: { pair: string[]; windows: string[][] };
    batches: {
      small: {
        batchSize: number;
        seqLength: number;
        ids: number[];
        attentionMask: number[];
        typeIds: number[];
      };
      texts: number;
      realTokens: number;
      paddedTokensOneBatch: number;
      paddedTokensBuckets: number;
    };
    pool: { workers: number; texts: number; identical: boolean };
  };

  it('maps accent-stripped tokens and an emoji back to the original string', () => {
    expect(report.offsets.map((p) => p.token)).toEqual([
      '[CLS]',
      'cafe',
      'muller',
      '’',
      's',
      'naive',
      'charm',
      '[UNK]',
      '!',
      '[SEP]',
    ]);
    expect(report.offsets.map((p) => p.slice)).toEqual([
      '',
      'Café',
      'Müller',
      '’',
      's',
      'naïve',
      'charm',
      '😀',
      '!',
      '',
    ]);
    // bert-base-uncased's ids: [CLS] 101, [UNK] 100, ! 999, [SEP] 102.
    expect(report.offsets.map((p) => p.id).filter((id) => id < 1000)).toEqual([101, 100, 999, 102]);
    const emoji = report.offsets[7] as Piece;
    expect(emoji.end - emoji.start).toBe(2); // UTF-16 code units
  });

  it('encodes a pair with type ids and word pieces indexing the second text', () => {
    const firstSep = report.pair.findIndex((p) => p.token === '[SEP]');
    expect(report.pair[0]?.token).toBe('[CLS]');
    expect(report.pair.map((p) => p.typeId)).toEqual(report.pair.map((_, t) => (t <= firstSep ? 0 : 1)));
    expect(report.pair.slice(firstSep + 1, firstSep + 6).map((p) => [p.token, p.slice])).toEqual([
      ['un', 'un'],
      ['##fl', 'fl'],
      ['##in', 'in'],
      ['##ching', 'ching'],
      ['##ly', 'ly'],
    ]);
  });

  it('splits Chinese into characters', () => {
    const title = '《拳皇》系列谁的波动是无懈可击的？';
    expect(report.chinese.map((p) => p.token)).toEqual(['[CLS]', ...title, '[SEP]']);
    expect(report.chinese.slice(1, -1).map((p) => p.start)).toEqual([...title].map((_, i) => i));
  });

  it('truncates longest_first and cuts overflowing windows with a stride', () => {
    expect(report.truncation.pair).toEqual([
      '[CLS]',
      'it',
      "'",
      's',
      'a',
      'charming',
      '[SEP]',
      'un',
      '##fl',
      '##in',
      '##ching',
      '[SEP]',
    ]);
    const windows = report.truncation.windows;
    expect(windows).toHaveLength(3);
    for (const w of windows) expect(w.length).toBeLessThanOrEqual(12);
    // Each window starts with the last 3 tokens of the previous one.
    expect(windows[1]?.slice(1, 4)).toEqual(windows[0]?.slice(-4, -1));
    expect(windows[2]?.slice(1, 4)).toEqual(windows[1]?.slice(-4, -1));
  });

  it('pads batches and saves padding with length buckets', () => {
    const small = report.batches.small;
    expect([small.batchSize, small.seqLength]).toEqual([3, 21]);
    expect(small.ids).toHaveLength(3 * 21);
    expect(small.attentionMask.slice(2 * 21).join('')).toBe(`111${'0'.repeat(18)}`);
    expect(report.batches.texts).toBe(872);
    expect(report.batches.realTokens).toBeLessThan(report.batches.paddedTokensBuckets);
    expect(report.batches.paddedTokensBuckets).toBeLessThan(report.batches.paddedTokensOneBatch / 2);
  });

  it('gives the same batch on the worker pool as on one thread', () => {
    expect(report.pool).toMatchObject({ workers: 2, texts: 6976, identical: true });
  });
});
