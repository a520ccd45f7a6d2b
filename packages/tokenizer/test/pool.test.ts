import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as src from '../src/index';
import { excerpt, expectSameBatch } from './excerpt-helpers';
import { tokenizerFor, vocabFor } from './golden-helpers';

// The worker runs built code (Node 20 cannot run the .ts worker), so these tests need the build; CI builds
// before testing. From source, createTokenizerPool uses dist/pool/worker.js.
const DIST = join(__dirname, '../dist');
const distMissing = ['index.js', 'index.cjs', 'pool/worker.js', 'pool/worker.cjs'].filter(
  (f) => !existsSync(join(DIST, f)),
);

describe('createTokenizerPool', () => {
  beforeAll(() => {
    if (distMissing.length > 0) {
      throw new Error(
        `@samp/tokenizer is not built (missing dist/${distMissing.join(', dist/')}): run \`pnpm --filter @samp/tokenizer build\` first`,
      );
    }
  });

  const lines = [...excerpt('en'), ...excerpt('zh')];
  const wp = tokenizerFor('chinese', true);
  const pool = src.createTokenizerPool(wp, { size: 2, minBatchSize: 100 });
  afterAll(() => pool.dispose());

  it('gives the single-thread result on a few thousand real lines, in input order', async () => {
    expect(lines.length).toBeGreaterThan(3000);
    await pool.ready();
    expectSameBatch(await pool.encodeBatch(lines), wp.encodeBatch(lines));
    const opts = { maxLength: 48, stride: 8, returnOverflowing: true, padToMultipleOf: 8 } as const;
    const a = await pool.encodeBatch(lines, opts);
    expectSameBatch(a, wp.encodeBatch(lines, opts));
    expect(a.batchSize).toBeGreaterThan(lines.length); // overflow rows
    const idx = Array.from(a.inputIndices);
    expect(idx.every((v, i) => i === 0 || v >= (idx[i - 1] as number))).toBe(true);
    const sorted = { maxLength: 64, sortByLength: true, paddingSide: 'left' } as const;
    expectSameBatch(await pool.encodeBatch(lines, sorted), wp.encodeBatch(lines, sorted));
    const pairs = lines.slice(0, 1000).map((l, i) => [l, lines[i + 1000] as string] as [string, string]);
    const pm = { maxLength: 40, padding: 'max_length', truncation: 'longest_first' } as const;
    expectSameBatch(await pool.encodeBatch(pairs, pm), wp.encodeBatch(pairs, pm));
  });

  it('char and word tokenizers (Intl and jieba segmenters) give the same result in the pool', async () => {
    const zh = excerpt('zh');
    const toks = [
      new src.CharTokenizer(vocabFor('chinese')),
      new src.WordTokenizer(vocabFor('chinese'), {
        segmenter: src.createJiebaSegmenter(Jieba.withDict(dict)),
      }),
      new src.WordTokenizer(vocabFor('chinese'), { segmenter: new src.IntlSegmenter('zh') }),
    ];
    for (const tok of toks) {
      const p = src.createTokenizerPool(tok, { size: 2, minBatchSize: 10, chunkSize: 150 });
      try {
        const part = tok instanceof src.CharTokenizer ? zh : zh.slice(0, 400);
        expectSameBatch(
          await p.encodeBatch(part, { maxLength: 64 }),
          tok.encodeBatch(part, { maxLength: 64 }),
        );
      } finally {
        await p.dispose();
      }
    }
  });

  it('encodeBatchAsync uses the pool above its threshold only', async () => {
    const b = await wp.encodeBatchAsync(lines.slice(0, 500), { pool, maxLength: 32 });
    expectSameBatch(b, wp.encodeBatch(lines.slice(0, 500), { maxLength: 32 }));
    const small = await wp.encodeBatchAsync(['中文', 'x'], { pool });
    expectSameBatch(small, wp.encodeBatch(['中文', 'x']));
    await expect(tokenizerFor('uncased', true).encodeBatchAsync(lines, { pool })).rejects.toThrow(
      src.TokenizerOptionError,
    );
  });

  it('rejects with the typed error of the failure, for that call only', async () => {
    const bad = [...lines.slice(0, 2000), 42 as unknown as string];
    await expect(pool.encodeBatch(bad)).rejects.toMatchObject({ code: 'SAMP_TOKENIZER_INPUT', index: 2000 });
    const opt = pool.encodeBatch(lines, { truncation: 'middle' as never, maxLength: 8 });
    await expect(opt).rejects.toBeInstanceOf(src.TokenizerOptionError);
    await expect(opt).rejects.toMatchObject({ option: 'truncation' });
    // Raised inside the workers (truncation needs a second text).
    const trunc = pool.encodeBatch(lines, { truncation: 'only_second', maxLength: 8 });
    await expect(trunc).rejects.toBeInstanceOf(src.TruncationError);
    // The pool still works afterwards.
    expect((await pool.encodeBatch(lines.slice(0, 300))).batchSize).toBe(300);
  });

  it('a worker that cannot build the tokenizer rejects ready() and calls with the typed error', async () => {
    const spec = { kind: 'char', vocab: ['a', 'b'], options: {} };
    const p = src.createTokenizerPool(spec, { size: 1, minBatchSize: 1 });
    await expect(p.ready()).rejects.toBeInstanceOf(src.VocabError);
    await expect(p.encodeBatch(['a', 'b'])).rejects.toMatchObject({ code: 'SAMP_TOKENIZER_VOCAB' });
    await p.dispose();
    const custom = new src.WordTokenizer(vocabFor('uncased'), {
      segmenter: { segment: (_t, f, t, out) => out.push(f, t) },
    });
    expect(() => src.createTokenizerPool(custom)).toThrow(src.TokenizerPoolError);
    expect(() => src.createTokenizerPool(wp, { size: 0 })).toThrow(src.TokenizerOptionError);
  });

  it('dispose terminates the workers; later calls reject', async () => {
    const p = src.createTokenizerPool(wp, { size: 1, minBatchSize: 1 });
    const running = expect(p.encodeBatch(lines)).rejects.toBeInstanceOf(src.TokenizerPoolError);
    await p.dispose();
    await running;
    await expect(p.encodeBatch(['x'])).rejects.toMatchObject({ code: 'SAMP_TOKENIZER_POOL' });
  });

  it('works from the built package, ESM and CommonJS', async () => {
    const esm = (await import(pathToFileURL(join(DIST, 'index.js')).href)) as typeof src;
    const cjs = createRequire(__filename)(join(DIST, 'index.cjs')) as typeof src;
    const part = lines.slice(0, 1200);
    for (const m of [esm, cjs]) {
      const tok = m.fromVocab(vocabFor('uncased').tokens);
      const p = m.createTokenizerPool(tok, { size: 2, minBatchSize: 1 });
      try {
        expectSameBatch(
          await p.encodeBatch(part, { maxLength: 40 }),
          tok.encodeBatch(part, { maxLength: 40 }),
        );
        await expect(p.encodeBatch(part, { stride: -1 })).rejects.toBeInstanceOf(m.TokenizerOptionError);
      } finally {
        await p.dispose();
      }
    }
  });
});
