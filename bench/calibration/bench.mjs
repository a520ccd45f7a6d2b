#!/usr/bin/env node
// Calibration methods compared end to end: for each trained model, calibrate on N training inputs with
// each method (max, percentile 99.99, MSE, entropy, and entropy + SmoothQuant), then run the FULL dev
// split in FP32 and in INT8 Fully-Quant on every layer (`precision: 'int8'`, CPU backend, the profile's
// static scales), and report calibration time, accuracy and the drop against FP32.
// Usage: node bench/calibration/bench.mjs [--models tnews,sst2,afqmc] [--samples 1000] [--threads 2]
//        [--smooth-method entropy] [--alpha 0.5] [--json FILE]
// (after building @samp/core, @samp/tokenizer, @samp/encoder-cpu-vnni and @samp/calibration).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { calibrate } from '../../packages/calibration/dist/index.js';
import { loadModel } from '../../packages/core/dist/index.js';
import { createCpuBackend } from '../../packages/encoder-cpu-vnni/dist/index.js';
import { fromModelDir, packBatch } from '../../packages/tokenizer/dist/index.js';
import { CALIBRATION_SETS } from './calibration-sets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../..');
const MODELS = {
  tnews: join(repo, 'packages/model-tnews-zh-small/model'),
  sst2: join(repo, 'models/sst2-en-small'),
  afqmc: join(repo, 'models/afqmc-zh-small'),
};

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'tnews,sst2,afqmc' },
    samples: { type: 'string', default: '1000' },
    threads: { type: 'string', default: '2' },
    'smooth-method': { type: 'string', default: 'entropy' },
    alpha: { type: 'string', default: '0.5' },
    'batch-size': { type: 'string', default: '32' },
    data: { type: 'string', default: join(repo, '../shared/data') },
    json: { type: 'string' },
  },
});
const samples = Number(args.samples);
const threads = Number(args.threads);
const batchSize = Number(args['batch-size']);
const alpha = Number(args.alpha);
const VARIANTS = [
  { label: 'max', options: { method: 'max' } },
  { label: 'percentile 99.99', options: { method: 'percentile', percentile: 99.99 } },
  { label: 'mse', options: { method: 'mse' } },
  { label: 'entropy', options: { method: 'entropy' } },
  {
    label: `${args['smooth-method']} + SmoothQuant α=${alpha}`,
    options: { method: args['smooth-method'], smoothQuantAlpha: alpha },
  },
];

/** Inputs tokenized and packed into batches sorted by length (longest first). */
function toBatches(tokenizer, model, inputs) {
  const maxLength = model.config.maxPositionEmbeddings - model.config.positionOffset;
  const encodings = tokenizer.encodeAll(
    inputs.map((x) => (x.text_pair === undefined ? x.text : [x.text, x.text_pair])),
    { maxLength, truncation: 'longest_first' },
  );
  const order = encodings.map((_, i) => i).sort((a, b) => encodings[b].length - encodings[a].length || a - b);
  const batches = [];
  for (let at = 0; at < order.length; at += batchSize) {
    const indices = order.slice(at, at + batchSize);
    const b = packBatch(
      indices.map((i) => encodings[i]),
      indices,
      tokenizer.padId,
    );
    batches.push({
      input: {
        inputIds: b.ids,
        attentionMask: b.attentionMask,
        tokenTypeIds: b.typeIds,
        batchSize: b.batchSize,
        sequenceLength: b.seqLength,
      },
      indices,
    });
  }
  return batches;
}

/** BertForSequenceClassification's head (pooler tanh + classifier) in float64 on each row's first token. */
async function classifierOf(model) {
  const read = (n) => model.weights.readFloat32(n);
  const [pw, pb, cw, cb] = await Promise.all([
    read('pooler.dense.weight'),
    read('pooler.dense.bias'),
    read('classifier.weight'),
    read('classifier.bias'),
  ]);
  const h = model.config.hiddenSize;
  const labels = model.config.numLabels;
  return (cls) => {
    const pooled = new Float64Array(h);
    for (let o = 0; o < h; o++) {
      let s = pb[o];
      for (let i = 0; i < h; i++) s += pw[o * h + i] * cls[i];
      pooled[o] = Math.tanh(s);
    }
    let best = 0;
    let bestLogit = Number.NEGATIVE_INFINITY;
    for (let o = 0; o < labels; o++) {
      let s = cb[o];
      for (let i = 0; i < h; i++) s += cw[o * h + i] * pooled[i];
      if (s > bestLogit) {
        bestLogit = s;
        best = o;
      }
    }
    return best;
  };
}

async function accuracy(session, batches, gold, classify) {
  let correct = 0;
  let total = 0;
  const h = session.model.config.hiddenSize;
  for (const { input, indices } of batches) {
    const { lastHiddenState } = await session.run(input);
    indices.forEach((index, row) => {
      const at = row * input.sequenceLength * h;
      if (classify(lastHiddenState.subarray(at, at + h)) === gold[index]) correct++;
      total++;
    });
  }
  return correct / total;
}

const results = [];
const started = new Date();
const load = loadavg();
for (const name of args.models.split(',')) {
  const dir = MODELS[name];
  const model = await loadModel(dir);
  const tokenizer = await fromModelDir(dir);
  const label2id = Object.fromEntries(
    Object.entries(model.config.id2label).map(([id, l]) => [l, Number(id)]),
  );
  const dev = gunzipSync(readFileSync(join(dir, 'dev.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
  const devBatches = toBatches(tokenizer, model, dev);
  const gold = dev.map((d) => label2id[d.label]);
  const calibrationSet = CALIBRATION_SETS[name](args.data, samples);
  const calibrationBatches = toBatches(tokenizer, model, calibrationSet).map((b) => b.input);
  const backend = createCpuBackend({ threads });
  const fp32 = await backend.createSession(model);
  const classify = await classifierOf(model);
  const fp32Accuracy = await accuracy(fp32, devBatches, gold, classify);
  // The model alone on the calibration set: what calibration costs beyond it is observation and statistics.
  let start = performance.now();
  for (const input of calibrationBatches) await fp32.run(input);
  const forwardSeconds = (performance.now() - start) / 1000;
  const rows = [{ model: name, variant: 'FP32', seconds: forwardSeconds, accuracy: fp32Accuracy, drop: 0 }];
  console.error(
    `${name}: ${dev.length} dev rows, ${calibrationSet.length} calibration inputs; FP32 ${(100 * fp32Accuracy).toFixed(2)}%`,
  );
  for (const variant of VARIANTS) {
    start = performance.now();
    const result = await calibrate(fp32, calibrationBatches, variant.options);
    const seconds = (performance.now() - start) / 1000;
    const int8 = await backend.createSession(result.model, { precision: 'int8', profile: result.profile });
    const acc = await accuracy(int8, devBatches, gold, classify);
    await int8.dispose();
    const gemmInputs = result.report.tensors.filter((t) =>
      /attention\.qkv\.input|attention\.context|ffn\.intermediate\.input|ffn\.output\.input/.test(t.name),
    );
    const meanSqnr =
      gemmInputs.reduce((s, t) => s + t.methods[result.report.method].sqnrDb, 0) / gemmInputs.length;
    rows.push({
      model: name,
      variant: variant.label,
      seconds,
      tokens: result.report.tokens,
      accuracy: acc,
      drop: acc - fp32Accuracy,
      meanGemmInputSqnrDb: meanSqnr,
    });
    console.error(
      `${name}: ${variant.label}: ${seconds.toFixed(2)} s, INT8 ${(100 * acc).toFixed(2)}% (${(100 * (acc - fp32Accuracy)).toFixed(2)}), GEMM-input SQNR ${meanSqnr.toFixed(1)} dB`,
    );
  }
  await fp32.dispose();
  results.push(...rows);
}

const pct = (x) => `${(100 * x).toFixed(2)}%`;
const signed = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)}`;
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}, load ${load.map((x) => x.toFixed(2)).join(' / ')}`,
);
console.log(`date: ${started.toISOString()}, ${samples} calibration inputs per model, ${threads} threads`);
console.log('FP32 rows: the time column is one plain FP32 pass over the calibration set (no observation).');
console.log('| model | method | calibration time | INT8 accuracy | drop vs FP32 | GEMM-input SQNR |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.model} | ${r.variant} | ${r.variant === 'FP32' ? `(${r.seconds.toFixed(1)} s)` : `${r.seconds.toFixed(1)} s`} | ${pct(r.accuracy)} | ${r.variant === 'FP32' ? '—' : signed(r.drop)} | ${r.meanGemmInputSqnrDb === undefined ? '—' : `${r.meanGemmInputSqnrDb.toFixed(1)} dB`} |`,
  );
}
if (args.json !== undefined)
  writeFileSync(args.json, `${JSON.stringify({ started, load, samples, threads, results }, null, 2)}\n`);
