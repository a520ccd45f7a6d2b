#!/usr/bin/env node
// Tokenizer throughput: samp (@samp/tokenizer, built dist) vs the `tokenizers` npm binding (Rust) vs
// @huggingface/transformers' BertTokenizer, on the same real corpus, English and Chinese.
// Usage: node --expose-gc bench/tokenizer/bench.mjs [--data /work/shared/data] [--mb 2] [--json out.json]
// Needs `pnpm --filter @samp/tokenizer build` first (the bench loads the package like a user would).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BertTokenizer } from '@huggingface/transformers';
import {
  CharTokenizer,
  createJiebaSegmenter,
  createTokenizerPool,
  fromVocab,
  IntlSegmenter,
  WhitespaceSegmenter,
  WordTokenizer,
} from '@samp/tokenizer';
import tk from 'tokenizers';
import { bertTokenizerJson, readVocabLines } from '../../packages/tokenizer/scripts/oracle.mjs';

// @node-rs/jieba is a devDependency of @samp/tokenizer (bench/package.json does not list it yet).
const requireFromTokenizer = createRequire(new URL('../../packages/tokenizer/package.json', import.meta.url));
const { Jieba } = requireFromTokenizer('@node-rs/jieba');
const { dict } = requireFromTokenizer('@node-rs/jieba/dict.js');

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '/work/shared/data' },
    mb: { type: 'string', default: '2' },
    json: { type: 'string' },
  },
});
const data = values.data;
const limit = Number(values.mb) * 1e6;
const take = (lines) => {
  const out = [];
  let bytes = 0;
  for (const l of lines) {
    if (bytes >= limit) break;
    out.push(l);
    bytes += Buffer.byteLength(l);
  }
  return { lines: out, bytes };
};
const corpora = {
  english: {
    vocab: 'bert-base-uncased-vocab.txt',
    ...take(
      readFileSync(join(data, 'glue_sst2/train.tsv'), 'utf8')
        .split('\n')
        .slice(1)
        .map((l) => l.split('\t')[0])
        .filter(Boolean)
        .concat(
          readFileSync(join(data, 'wikitext2/wiki.test.tokens'), 'utf8')
            .split('\n')
            .filter((l) => l.trim()),
        ),
    ),
  },
  chinese: {
    vocab: 'bert-base-chinese-vocab.txt',
    ...take(
      readFileSync(join(data, 'clue_tnews/fewclue_unlabeled.json'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).sentence)
        .concat(
          readFileSync(join(data, 'clue_iflytek/fewclue_train_few_all.json'), 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l).sentence),
        ),
    ),
  },
};

const gc = globalThis.gc ?? (() => {});
async function time(fn, reps = 3) {
  let best = Number.POSITIVE_INFINITY;
  let tokens = 0;
  for (let r = 0; r < reps; r++) {
    gc();
    const t0 = process.hrtime.bigint();
    tokens = await fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.min(best, dt);
  }
  return { seconds: best, tokens };
}

const results = [];
for (const [name, c] of Object.entries(corpora)) {
  const tokens = readVocabLines(readFileSync(join(data, 'vocab', c.vocab), 'utf8'));
  gc();
  const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const samp = fromVocab(tokens, { lowercase: true });
  samp.encode('warm up');
  gc();
  const heap1 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const hf = tk.Tokenizer.fromString(bertTokenizerJson(tokens, true));
  const tj = JSON.parse(bertTokenizerJson(tokens, true));
  const tjs = new BertTokenizer(tj, { do_lower_case: true, model_max_length: 512 });
  const pool1 = createTokenizerPool(samp, { size: 1, minBatchSize: 1 });
  const pool2 = createTokenizerPool(samp, { size: 2, minBatchSize: 1 });
  await Promise.all([pool1.ready(), pool2.ready()]);
  const char = new CharTokenizer(tokens);
  const word = new WordTokenizer(tokens, {
    segmenter: name === 'chinese' ? createJiebaSegmenter(Jieba.withDict(dict)) : new WhitespaceSegmenter(),
  });
  const intlWord = new WordTokenizer(tokens, {
    segmenter: new IntlSegmenter(name === 'chinese' ? 'zh' : 'en'),
  });
  const encodeEach = (tok) => () => {
    let n = 0;
    for (const l of c.lines) n += tok.encode(l).length;
    return n;
  };
  const pooled = (pool) => async () => {
    let n = 0;
    for (let i = 0; i < c.lines.length; i += 8192) {
      const b = await pool.encodeBatch(c.lines.slice(i, i + 8192));
      for (const x of b.lengths) n += x;
    }
    return n;
  };

  const runs = {
    'samp encode (1 thread)': () => {
      let n = 0;
      for (const l of c.lines) n += samp.encode(l).length;
      return n;
    },
    'samp encodeBatch x256 (1 thread)': () => {
      let n = 0;
      for (let i = 0; i < c.lines.length; i += 256) {
        const b = samp.encodeBatch(c.lines.slice(i, i + 256));
        for (const x of b.lengths) n += x;
      }
      return n;
    },
    'samp encodeBatch x8192 (1 thread, baseline of the pool rows)': () => {
      let n = 0;
      for (let i = 0; i < c.lines.length; i += 8192) {
        const b = samp.encodeBatch(c.lines.slice(i, i + 8192));
        for (const x of b.lengths) n += x;
      }
      return n;
    },
    'samp pool encodeBatch x8192, 1 worker': pooled(pool1),
    'samp pool encodeBatch x8192, 2 workers': pooled(pool2),
    'samp CharTokenizer encode (1 thread)': encodeEach(char),
    [`samp WordTokenizer ${name === 'chinese' ? 'jieba' : 'whitespace'} encode (1 thread)`]: encodeEach(word),
    'samp WordTokenizer Intl.Segmenter encode (1 thread)': encodeEach(intlWord),
    'tokenizers npm encode, awaited one by one (1 thread)': async () => {
      let n = 0;
      for (const l of c.lines) n += (await hf.encode(l)).getLength();
      return n;
    },
    [`tokenizers npm encodeBatch x256 (Rust threads, ${cpus().length} cores)`]: async () => {
      let n = 0;
      for (let i = 0; i < c.lines.length; i += 256) {
        for (const e of await hf.encodeBatch(c.lines.slice(i, i + 256))) n += e.getLength();
      }
      return n;
    },
    '@huggingface/transformers BertTokenizer (1 thread)': () => {
      let n = 0;
      for (const l of c.lines) n += tjs.encode(l).length;
      return n;
    },
  };
  for (const [label, fn] of Object.entries(runs)) {
    const { seconds, tokens: nTok } = await time(fn, /@huggingface|Intl/.test(label) ? 1 : 3);
    const row = {
      corpus: name,
      impl: label,
      lines: c.lines.length,
      mb: c.bytes / 1e6,
      seconds,
      mbPerS: c.bytes / 1e6 / seconds,
      tokensPerS: nTok / seconds,
      tokens: nTok,
    };
    results.push(row);
    process.stdout.write(
      `${name.padEnd(8)} ${label.padEnd(62)} ${row.mbPerS.toFixed(2).padStart(7)} MB/s ${(row.tokensPerS / 1e6).toFixed(2).padStart(6)} Mtok/s (${nTok} tokens)\n`,
    );
  }
  process.stdout.write(
    `${name.padEnd(8)} samp vocabulary structures: ${(samp.lookupByteLength / 1e6).toFixed(1)} MB typed arrays; heap+buffers delta ${((heap1 - heap0) / 1e6).toFixed(1)} MB\n`,
  );
  await Promise.all([pool1.dispose(), pool2.dispose()]);
  results.push({
    corpus: name,
    impl: 'samp memory',
    trieBytes: samp.lookupByteLength,
    heapDelta: heap1 - heap0,
  });
}
if (values.json !== undefined)
  writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
