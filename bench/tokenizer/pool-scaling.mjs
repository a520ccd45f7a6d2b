// Worker-pool scaling of the WordPiece tokenizer: one thread vs createTokenizerPool with 1..N workers,
// on one corpus (a text file, one input per line). Meant for a many-core machine.
//   node bench/tokenizer/pool-scaling.mjs --corpus FILE --vocab VOCAB [--workers 1,2,4,8] [--batch 8192]
//     [--tokenizer PATH_TO_TOKENIZER_DIST_INDEX_JS]   (default: the @samp/tokenizer package)
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    vocab: { type: 'string' },
    workers: { type: 'string', default: '1,2,4,8' },
    batch: { type: 'string', default: '8192' },
    tokenizer: { type: 'string' },
    lowercase: { type: 'boolean', default: true },
  },
});
if (values.corpus === undefined || values.vocab === undefined) {
  console.error(
    'usage: pool-scaling.mjs --corpus FILE --vocab VOCAB [--workers 1,2,4] [--batch N] [--tokenizer INDEX_JS]',
  );
  process.exit(2);
}
const { fromVocab, createTokenizerPool } = await import(
  values.tokenizer === undefined ? '@samp/tokenizer' : pathToFileURL(values.tokenizer).href
);
const lines = readFileSync(values.corpus, 'utf8').split('\n').filter(Boolean);
const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
const tokenizer = fromVocab(readFileSync(values.vocab, 'utf8'), { lowercase: values.lowercase });
const batch = Number(values.batch);

async function best(run, reps = 3) {
  let seconds = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await run();
    seconds = Math.min(seconds, (performance.now() - t0) / 1000);
  }
  return seconds;
}
const batches = [];
for (let i = 0; i < lines.length; i += batch) batches.push(lines.slice(i, i + batch));

const rows = [];
const single = await best(async () => {
  for (const b of batches) tokenizer.encodeBatch(b);
});
rows.push(['1 thread, encodeBatch', single]);
for (const size of values.workers.split(',').map(Number)) {
  const pool = createTokenizerPool(tokenizer, { size, minBatchSize: 1 });
  await pool.ready();
  // Several batches in flight, so that every worker has work.
  const seconds = await best(() => Promise.all(batches.map((b) => pool.encodeBatch(b))));
  await pool.dispose();
  rows.push([`pool, ${size} worker${size > 1 ? 's' : ''}`, seconds]);
}
console.log(
  `${cpus().length} CPUs (${cpus()[0]?.model}), ${lines.length} lines, ${(bytes / 1e6).toFixed(1)} MB, batches of ${batch}`,
);
console.log('| configuration | MB/s | vs 1 thread |\n|---|---:|---:|');
for (const [name, seconds] of rows)
  console.log(`| ${name} | ${(bytes / 1e6 / seconds).toFixed(2)} | ${(single / seconds).toFixed(2)}× |`);
