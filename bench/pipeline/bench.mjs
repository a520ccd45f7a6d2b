#!/usr/bin/env node
// pipeline() end to end, and its agreement with Hugging Face on the full dev sets of the four trained
// models (dev.jsonl.gz: HF's own predictions, fp16 weights computed in fp32).
//
// Agreement: every dev line of TNEWS, SST-2, AFQMC (pairs) through pipeline() on the CPU backend:
//    the tokenizer's ids against HF's input_ids, argmax agreement, the largest |logit - HF logit|, the
//    share of lines within 1e-4, accuracy against the gold labels (ours and HF's). CLUENER: entity
//    P/R/F1 of pipeline()'s entities and of HF's argmax tags decoded the same way (samp's offsets, the
//    same word-piece merging), and the share of lines whose entity sets are identical.
// The facade's speed against the same packages wired by hand is bench/pipeline/overhead.mjs.
//
// Usage: node bench/pipeline/bench.mjs [--threads N] [--batch-size 32] [--json out.json]
// Needs the built packages (it loads them as a user would):
//   npx -y pnpm@10.34.8 --filter @samp/core --filter @samp/tokenizer --filter '@samp/head-*' \
//     --filter @samp/encoder-cpu-vnni --filter samp build
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { decodeTags, entityScores } from '../../packages/head-token-classification/dist/index.js';
import { pipeline } from '../../packages/samp/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    threads: { type: 'string' },
    'batch-size': { type: 'string', default: '32' },
    json: { type: 'string' },
  },
});
const threads = values.threads === undefined ? undefined : Number(values.threads);
const batchSize = Number(values['batch-size']);

const MODELS = {
  tnews: join(root, 'packages/model-tnews-zh-small/model'),
  sst2: join(root, 'models/sst2-en-small'),
  afqmc: join(root, 'models/afqmc-zh-small'),
  cluener: join(root, 'models/cluener-zh-small'),
};

// The max_length the golden files were made with (scripts/train/train_models.py: 64 for single texts,
// 128 for pairs); the models' tokenizer_config.json says 128, which pipeline() would use by default.
const GOLDEN_MAX_LENGTH = { tnews: 64, sst2: 64, afqmc: 128, cluener: 64 };

const readDev = (dir) =>
  gunzipSync(readFileSync(join(dir, 'dev.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);
const inputOf = (l) => (l.text_pair === undefined ? l.text : { text: l.text, text_pair: l.text_pair });
const backendOptions = threads === undefined ? {} : { threads };

async function classificationAgreement(name, dir) {
  const dev = readDev(dir);
  const maxLength = GOLDEN_MAX_LENGTH[name];
  const p = await pipeline('classification', {
    model: dir,
    device: 'cpu',
    batchSize,
    maxLength,
    ...backendOptions,
  });
  const label2id = Object.fromEntries(
    Object.entries(p.model.config.id2label).map(([id, n]) => [n, Number(id)]),
  );
  const start = performance.now();
  const results = await p(dev.map(inputOf));
  const seconds = (performance.now() - start) / 1000;
  let sameIds = 0;
  let sameArgmax = 0;
  let within = 0;
  let worst = 0;
  let ours = 0;
  let theirs = 0;
  dev.forEach((l, i) => {
    const enc = p.tokenizer.encode(l.text, l.text_pair, {
      maxLength: p.maxLength,
      truncation: 'longest_first',
    });
    if (Array.from(enc.ids).join() === l.input_ids.join()) sameIds++;
    const r = results[i];
    const diff = Math.max(...r.logits.map((x, j) => Math.abs(x - l.logits[j])));
    worst = Math.max(worst, diff);
    if (diff <= 1e-4) within++;
    if (r.labelId === argmax(l.logits)) sameArgmax++;
    if (r.labelId === label2id[l.label]) ours++;
    if (argmax(l.logits) === label2id[l.label]) theirs++;
  });
  await p.dispose();
  const n = dev.length;
  return {
    model: name,
    lines: n,
    maxLength,
    sameInputIds: sameIds / n,
    sameArgmax: sameArgmax / n,
    maxAbsLogitDiff: worst,
    logitsWithin1e4: within / n,
    accuracy: ours / n,
    hfAccuracy: theirs / n,
    seconds,
    throughput: n / seconds,
  };
}

async function nerAgreement(dir) {
  const dev = readDev(dir);
  const maxLength = GOLDEN_MAX_LENGTH.cluener;
  const p = await pipeline('token-classification', {
    model: dir,
    device: 'cpu',
    batchSize,
    maxLength,
    ...backendOptions,
  });
  const start = performance.now();
  const results = await p(dev.map((l) => l.text));
  const seconds = (performance.now() - start) / 1000;
  const id2label = p.model.config.id2label;
  let sameIds = 0;
  let sameEntities = 0;
  const key = (es) =>
    es
      .map((e) => `${e.type}:${e.start}:${e.end}`)
      .sort()
      .join('|');
  const hf = dev.map((l, i) => {
    const enc = p.tokenizer.encode(l.text, undefined, {
      maxLength: p.maxLength,
      truncation: 'longest_first',
    });
    if (Array.from(enc.ids).join() === l.input_ids.join()) sameIds++;
    const tags = l.predicted_tags.map((t) => id2label[t]);
    const entities = decodeTags(tags, enc.offsets.subarray(0, 2 * tags.length), { text: l.text });
    if (key(entities) === key(results[i].entities)) sameEntities++;
    return entities;
  });
  const gold = dev.map((l) => l.entities);
  const ours = entityScores(
    gold,
    results.map((r) => r.entities),
  );
  const theirs = entityScores(gold, hf);
  await p.dispose();
  const n = dev.length;
  return {
    model: 'cluener',
    lines: n,
    maxLength,
    sameInputIds: sameIds / n,
    sameEntitySets: sameEntities / n,
    f1: ours.f1,
    precision: ours.precision,
    recall: ours.recall,
    hfF1: theirs.f1,
    hfPrecision: theirs.precision,
    hfRecall: theirs.recall,
    seconds,
    throughput: n / seconds,
  };
}

const machine = {
  cpu: cpus()[0]?.model,
  loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  cores: cpus().length,
  node: process.version,
  threads: threads ?? 'backend default',
  batchSize,
};
console.error(`machine: ${JSON.stringify(machine)}`);
const agreement = [];
for (const [name, dir] of Object.entries(MODELS)) {
  const r = name === 'cluener' ? await nerAgreement(dir) : await classificationAgreement(name, dir);
  console.error(JSON.stringify(r));
  agreement.push(r);
}
const result = {
  machine: { ...machine, loadAverageAfter: loadavg().map((x) => Number(x.toFixed(2))) },
  agreement,
};
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
else console.log(JSON.stringify(result, null, 2));
