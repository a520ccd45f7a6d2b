// @samp/tokenizer on its own, no model and no backend: Hugging Face's BertTokenizer on the official
// bert-base-uncased and bert-base-chinese vocabularies, with offsets, pairs, truncation, padded batches,
// length buckets and the worker-thread pool.
//   node examples/tokenizer-only/tokenizer-only.mjs [--uncased-vocab FILE] [--chinese-vocab FILE] [--json]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { createTokenizerPool, fromVocabFile } from '@samp/tokenizer';

const repo = (path) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const { values } = parseArgs({
  options: {
    // The official vocabularies (same md5 as Google's), shipped with the tokenizer's tests.
    'uncased-vocab': {
      type: 'string',
      default: repo('packages/tokenizer/test/fixtures/vocab/bert-base-uncased-vocab.txt'),
    },
    'chinese-vocab': {
      type: 'string',
      default: repo('packages/tokenizer/test/fixtures/vocab/bert-base-chinese-vocab.txt'),
    },
    json: { type: 'boolean' },
  },
});

// bert-base-uncased lowercases and strips accents; bert-base-chinese keeps case (do_lower_case false).
const en = await fromVocabFile(values['uncased-vocab'], { lowercase: true });
const zh = await fromVocabFile(values['chinese-vocab'], { lowercase: false });

/** Each token with the slice of the input its offsets point at (UTF-16 code units). */
function pieces(tokenizer, encoding, text, pair) {
  const tokens = tokenizer.convertIdsToTokens(encoding.ids);
  return tokens.map((token, t) => {
    const [start, end] = [encoding.offsets[2 * t], encoding.offsets[2 * t + 1]];
    const source = encoding.sequenceIds[t] === 1 ? pair : text;
    return {
      token,
      id: encoding.ids[t],
      typeId: encoding.typeIds[t],
      start,
      end,
      slice: source.slice(start, end),
    };
  });
}

// 1. Offsets: accents are stripped from the tokens, but offsets still index the original string, emoji
//    (two UTF-16 units) included.
const accented = 'Café Müller’s naïve charm 😀!';
const offsets = pieces(en, en.encode(accented), accented);

// 2. A pair: `[CLS] a [SEP] b [SEP]`, type 0 then type 1. Quotes of SST-2 dev sentences.
const [a, b] = ["it 's a charming and often affecting journey .", 'unflinchingly bleak and desperate'];
const pair = pieces(en, en.encode(a, b), a, b);

// 3. Chinese: every CJK character is a token; Latin runs go through WordPiece. A TNEWS dev title.
const title = '《拳皇》系列谁的波动是无懈可击的？';
const chinese = pieces(zh, zh.encode(title), title);

// 4. Truncation: `longest_first` trims the longer text of a pair first, to 12 tokens with the specials;
//    a long text can keep what was cut as overlapping windows (`returnOverflowing`, `stride`).
const truncatedPair = en.encode(a, b, { maxLength: 12, truncation: 'longest_first' });
const longText =
  'allows us to hope that nolan is poised to embark a major career as a commercial yet inventive filmmaker .';
const windows = en.encode(longText, undefined, { maxLength: 12, returnOverflowing: true, stride: 3 });
const truncation = {
  pair: en.convertIdsToTokens(truncatedPair.ids),
  windows: [windows, ...windows.overflowing].map((w) => en.convertIdsToTokens(w.ids)),
};

// 5. Batches: padded typed arrays (row-major, ready for a backend), and length buckets that pad each
//    bucket only to its own longest row. Texts: the SST-2 dev split shipped with models/sst2-en-small.
const dev = gunzipSync(readFileSync(repo('models/sst2-en-small/dev.jsonl.gz')))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line).text);
const small = en.encodeBatch([a, [a, b], 'bleak'], { maxLength: 64 });
const buckets = en.encodeBuckets(dev, { maxLength: 128, batchSize: 32 });
const padded = en.encodeBatch(dev, { maxLength: 128 });
const realTokens = buckets.reduce((sum, k) => sum + k.lengths.reduce((s, x) => s + x, 0), 0);
const batches = {
  small: {
    batchSize: small.batchSize,
    seqLength: small.seqLength,
    ids: Array.from(small.ids),
    attentionMask: Array.from(small.attentionMask),
    typeIds: Array.from(small.typeIds),
  },
  texts: dev.length,
  realTokens,
  paddedTokensOneBatch: padded.batchSize * padded.seqLength,
  paddedTokensBuckets: buckets.reduce((sum, k) => sum + k.batchSize * k.seqLength, 0),
  buckets: buckets.length,
};

// 6. The worker pool: the same batch encoded on 2 worker threads, in input order, identical to the
//    single-thread result. 8 copies of the dev split make a batch worth splitting.
const lines = Array.from({ length: 8 }, () => dev).flat();
const pool = createTokenizerPool(en, { size: 2 });
let poolReport;
try {
  await pool.ready();
  // Warm both paths once (JIT, worker start-up) so the timings compare steady states.
  en.encodeBatch(lines, { maxLength: 128 });
  await en.encodeBatchAsync(lines, { pool, maxLength: 128 });
  let started = performance.now();
  const single = en.encodeBatch(lines, { maxLength: 128 });
  const singleMs = performance.now() - started;
  started = performance.now();
  const pooled = await en.encodeBatchAsync(lines, { pool, maxLength: 128 });
  const pooledMs = performance.now() - started;
  const same = (x, y) => x.length === y.length && x.every((v, i) => v === y[i]);
  poolReport = {
    workers: pool.size,
    texts: lines.length,
    identical:
      same(single.ids, pooled.ids) &&
      same(single.offsets, pooled.offsets) &&
      same(single.inputIndices, pooled.inputIndices),
    singleThreadMs: singleMs,
    pooledMs,
  };
} finally {
  await pool.dispose();
}

const report = { offsets, pair, chinese, truncation, batches, pool: poolReport };
if (values.json) {
  console.log(JSON.stringify(report));
} else {
  const show = (rows) =>
    rows.map((p) => `${p.token}${p.end > p.start ? `=${JSON.stringify(p.slice)}` : ''}`).join(' ');
  console.log(`Offsets: ${JSON.stringify(accented)}\n  ${show(offsets)}`);
  console.log(`Pair (type ids ${pair.map((p) => p.typeId).join('')}):\n  ${show(pair)}`);
  console.log(`Chinese: ${title}\n  ${show(chinese)}`);
  console.log(`Pair truncated longest_first to 12 tokens:\n  ${truncation.pair.join(' ')}`);
  console.log('A long text in windows of 12 tokens, 3 overlapping:');
  for (const w of truncation.windows) console.log(`  ${w.join(' ')}`);
  console.log(`Padded batch of 3: ${small.batchSize} × ${small.seqLength}, attention mask:`);
  for (let r = 0; r < small.batchSize; r++)
    console.log(
      `  ${batches.small.attentionMask.slice(r * small.seqLength, (r + 1) * small.seqLength).join('')}`,
    );
  console.log(
    `SST-2 dev, ${batches.texts} texts, ${realTokens} real tokens: one padded batch ${batches.paddedTokensOneBatch} tokens, ${batches.buckets} length buckets ${batches.paddedTokensBuckets} tokens`,
  );
  console.log(
    `Worker pool (${poolReport.workers} workers), ${poolReport.texts} texts: ${poolReport.pooledMs.toFixed(0)} ms vs ${poolReport.singleThreadMs.toFixed(0)} ms on one thread; identical: ${poolReport.identical}`,
  );
}
