#!/usr/bin/env node
// INT8 vs FP32 on the CPU, side by side with onnxruntime-node in one run: samp FP32, samp INT8
// Fully-Quant on every layer (dynamic per-row scales, and a max-calibrated QuantProfile from 500
// texts of fewclue_unlabeled.json), onnxruntime-node FP32 (model.onnx) and INT8 (model.int8.onnx,
// onnxruntime's quantize_dynamic), all on the trained TNEWS model (4 layers, hidden 256), the same
// thread count (2 by default: intra-op threads for onnxruntime, the session pool for samp) and the
// same inputs (TNEWS dev ids repeated to 48 real tokens; batch 1, 32 and 128). Median of --runs timed
// runs (×5 at batch 1) after warm-up, taken in 4 interleaved rounds over the configurations.
// Resident memory: each configuration in a child process of its own (RSS after session creation,
// one batch-32 run and a GC, and its growth over the RSS before the session).
// Then the full TNEWS dev accuracy (4,928 texts) of each configuration, through the same
// classification head computed here in float64.
// CPU time per run (process.cpuUsage around each timed run: every thread of the process, spinning
// included) is reported beside the wall time, since wall times on a shared machine are noisy.
// Usage: node bench/cpu-encoder/int8-bench.mjs [--threads 2] [--runs 20] [--json out.json]
//        [--skip-accuracy] [--skip-memory] [--batches 1,32,128] [--configs 'samp fp32,ort fp32']
//        [--data /work/shared/data]
// Needs `npx -y pnpm@10.34.8 --filter @samp/core --filter @samp/tokenizer --filter
// @samp/encoder-cpu-vnni build` and bench/models/tnews-zh-small/*.onnx (scripts/export/export_onnx.py).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import ort from 'onnxruntime-node';
import { LAYER_ACTIVATION_TAPS, layerActivationName, loadModel } from '../../packages/core/dist/index.js';
import { createCpuBackend } from '../../packages/encoder-cpu-vnni/dist/index.js';
import { fromModelDir } from '../../packages/tokenizer/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    runs: { type: 'string', default: '20' },
    tokens: { type: 'string', default: '48' },
    json: { type: 'string' },
    data: { type: 'string', default: '/work/shared/data' },
    'skip-accuracy': { type: 'boolean', default: false },
    'skip-memory': { type: 'boolean', default: false },
    batches: { type: 'string', default: '1,32,128' },
    configs: { type: 'string' },
    child: { type: 'string' }, // internal: measure one configuration's memory
  },
});
const threads = Number(values.threads);
const runs = Number(values.runs);
const tokens = Number(values.tokens);
const modelDir = join(root, 'packages/model-tnews-zh-small/model');
const onnxDir = join(root, 'bench/models/tnews-zh-small');
const ALL_CONFIGS = ['samp fp32', 'samp int8 dynamic', 'samp int8 profile', 'ort fp32', 'ort int8'];
const CONFIGS = values.configs === undefined ? ALL_CONFIGS : values.configs.split(',').map((c) => c.trim());
for (const c of CONFIGS) if (!ALL_CONFIGS.includes(c)) throw new Error(`--configs: unknown ${c}`);
const BATCHES = values.batches.split(',').map(Number);

const dev = gunzipSync(readFileSync(join(modelDir, 'dev.jsonl.gz')))
  .toString('utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

/** `batch` rows of exactly `tokens` real ids: [CLS] text… repeated, [SEP] last. */
function fixedBatch(batch) {
  const input = {
    inputIds: new Int32Array(batch * tokens),
    attentionMask: new Int32Array(batch * tokens).fill(1),
    tokenTypeIds: new Int32Array(batch * tokens),
    batchSize: batch,
    sequenceLength: tokens,
  };
  for (let row = 0; row < batch; row++) {
    const ids = dev[row % dev.length].input_ids;
    const body = ids.slice(1, -1);
    const line = [ids[0]];
    while (line.length < tokens - 1) line.push(body[(line.length - 1) % body.length]);
    line.push(ids[ids.length - 1]);
    input.inputIds.set(line, row * tokens);
  }
  return input;
}

/** A right-padded batch of token id rows. */
function paddedBatch(rows, padId) {
  const seq = Math.max(...rows.map((r) => r.length));
  const input = {
    inputIds: new Int32Array(rows.length * seq).fill(padId),
    attentionMask: new Int32Array(rows.length * seq),
    tokenTypeIds: new Int32Array(rows.length * seq),
    batchSize: rows.length,
    sequenceLength: seq,
  };
  rows.forEach((r, i) => {
    input.inputIds.set(r, i * seq);
    input.attentionMask.fill(1, i * seq, i * seq + r.length);
  });
  return input;
}

/** Max calibration over 500 fewclue_unlabeled texts (the same helper as the tests, on the built packages). */
async function calibrate(model, fp32) {
  const tokenizer = await fromModelDir(modelDir);
  const texts = readFileSync(join(values.data, 'clue_tnews/fewclue_unlabeled.json'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, 500)
    .map((l) => JSON.parse(l).sentence);
  const taps = LAYER_ACTIVATION_TAPS.filter((t) => t !== 'attention.scores' && t !== 'attention.probs');
  const names = [];
  for (let l = 0; l < model.config.numHiddenLayers; l++)
    for (const t of taps) names.push(layerActivationName(l, t));
  const absMax = new Map(names.map((n) => [n, 0]));
  for (let i = 0; i < texts.length; i += 50) {
    const rows = texts
      .slice(i, i + 50)
      .map((t) => Array.from(tokenizer.encode(t, undefined, { maxLength: 128 }).ids));
    const input = paddedBatch(rows, model.config.padTokenId);
    const out = await fp32.run(input, { observe: names });
    for (const name of names) {
      const t = out.observed[name];
      const width = t.shape[2];
      let m = absMax.get(name);
      for (let pos = 0; pos < input.batchSize * input.sequenceLength; pos++) {
        if (input.attentionMask[pos] !== 1) continue;
        for (let j = pos * width; j < (pos + 1) * width; j++) m = Math.max(m, Math.abs(t.data[j]));
      }
      absMax.set(name, m);
    }
  }
  const activations = {};
  for (const [name, m] of absMax) activations[name] = { scale: m > 0 ? m / 127 : 1, absMax: m };
  return {
    format: 'samp.quant-profile',
    version: 1,
    model: {
      fingerprint: model.fingerprint,
      modelType: model.config.modelType,
      numHiddenLayers: model.config.numHiddenLayers,
      hiddenSize: model.config.hiddenSize,
    },
    method: 'max',
    activations,
  };
}

/** A runner with one interface over samp sessions and onnxruntime sessions: run(input) → last_hidden_state. */
async function open(config, model, profile) {
  if (config.startsWith('samp')) {
    const options =
      config === 'samp fp32'
        ? { precision: 'fp32' }
        : { precision: 'int8', ...(config === 'samp int8 profile' ? { profile } : {}) };
    const session = await createCpuBackend({ threads, padPositions: 'skip' }).createSession(model, options);
    return {
      run: async (input) => (await session.run(input)).lastHiddenState,
      info: { isa: session.isa, int8Isa: session.int8Isa, weightBytes: session.weightBytes },
      dispose: () => session.dispose(),
    };
  }
  const file = join(onnxDir, config === 'ort fp32' ? 'model.onnx' : 'model.int8.onnx');
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const tensor = (a, input) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(a, (v) => BigInt(v)),
      [input.batchSize, input.sequenceLength],
    );
  // int64 feeds built once per input, outside the timed runs (samp takes Int32Array as is).
  const cache = new WeakMap();
  return {
    run: async (input) => {
      let feeds = cache.get(input);
      if (feeds === undefined) {
        feeds = {
          input_ids: tensor(input.inputIds, input),
          attention_mask: tensor(input.attentionMask, input),
          token_type_ids: tensor(input.tokenTypeIds, input),
        };
        cache.set(input, feeds);
      }
      const out = await session.run(feeds);
      return out.last_hidden_state.data;
    },
    info: { file },
    dispose: () => session.release(),
  };
}

function median(times) {
  const s = [...times].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function head(model) {
  const [pw, pb, cw, cb] = await Promise.all(
    ['pooler.dense.weight', 'pooler.dense.bias', 'classifier.weight', 'classifier.bias'].map((n) =>
      model.weights.readFloat32(n),
    ),
  );
  const h = model.config.hiddenSize;
  const labels = model.config.numLabels;
  return (hidden, row, seq) => {
    const cls = hidden.subarray(row * seq * h, row * seq * h + h);
    const pooled = new Float64Array(h);
    for (let o = 0; o < h; o++) {
      let s = pb[o];
      for (let j = 0; j < h; j++) s += pw[o * h + j] * cls[j];
      pooled[o] = Math.tanh(s);
    }
    let best = 0;
    let bestValue = -Infinity;
    for (let o = 0; o < labels; o++) {
      let s = cb[o];
      for (let j = 0; j < h; j++) s += cw[o * h + j] * pooled[j];
      if (s > bestValue) {
        bestValue = s;
        best = o;
      }
    }
    return best;
  };
}

async function accuracyOf(model, runner, classify) {
  const labelId = new Map(Object.entries(model.config.id2label).map(([id, name]) => [name, Number(id)]));
  let correct = 0;
  for (let i = 0; i < dev.length; i += 64) {
    const chunk = dev.slice(i, i + 64);
    const input = paddedBatch(
      chunk.map((l) => l.input_ids),
      model.config.padTokenId,
    );
    const hidden = await runner.run(input);
    chunk.forEach((l, row) => {
      if (classify(hidden, row, input.sequenceLength) === labelId.get(l.label)) correct++;
    });
  }
  return correct / dev.length;
}

const model = await loadModel(modelDir, { tokenizer: false });

if (values.child !== undefined) {
  // Memory of one configuration, alone in this process.
  const profile = values.child === 'samp int8 profile' ? JSON.parse(readFileSync(0, 'utf8')) : undefined;
  global.gc?.();
  const before = process.memoryUsage().rss;
  const runner = await open(values.child, model, profile);
  await runner.run(fixedBatch(32));
  global.gc?.(); // the JS copies of the weights read for the session are garbage by now
  const after = process.memoryUsage().rss;
  process.stdout.write(JSON.stringify({ rssMiB: after / 2 ** 20, deltaMiB: (after - before) / 2 ** 20 }));
  process.exit(0);
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loadBefore = load();
const fp32 = await createCpuBackend({ threads }).createSession(model, { precision: 'fp32' });
const profile = await calibrate(model, fp32);
await fp32.dispose();

const results = [];
const classify = await head(model);
// Every configuration open at once, timed in interleaved rounds (each round runs every
// configuration in turn), so a change in the machine's load hits them all alike.
const runners = [];
for (const config of CONFIGS)
  runners.push({ config, runner: await open(config, model, profile), times: {}, cpu: {} });
const ROUNDS = 4;
for (const batch of BATCHES) {
  const input = fixedBatch(batch);
  const n = Math.ceil((batch === 1 ? runs * 5 : runs) / ROUNDS);
  for (const r of runners) for (let i = 0; i < 3; i++) await r.runner.run(input); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of runners) {
      r.times[batch] ??= [];
      r.cpu[batch] ??= [];
      for (let i = 0; i < n; i++) {
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        await r.runner.run(input);
        r.times[batch].push(Number(process.hrtime.bigint() - t0) / 1e6);
        const c = process.cpuUsage(c0);
        r.cpu[batch].push((c.user + c.system) / 1e3);
      }
    }
  }
}
for (const { config, runner, times, cpu } of runners) {
  const r = { config, ...runner.info };
  for (const batch of BATCHES) {
    r[`b${batch}Ms`] = median(times[batch]);
    r[`b${batch}CpuMs`] = median(cpu[batch]);
    r[`b${batch}Runs`] = times[batch].length;
    r[`b${batch}SeqPerS`] = (batch * 1000) / r[`b${batch}Ms`];
  }
  if (!values['skip-accuracy']) r.accuracy = await accuracyOf(model, runner, classify);
  await runner.dispose();
  if (!values['skip-memory']) {
    const child = execFileSync(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), '--child', config, '--threads', String(threads)],
      { input: JSON.stringify(profile), encoding: 'utf8' },
    );
    Object.assign(r, JSON.parse(child));
  }
  results.push(r);
  const timing = BATCHES.map(
    (b) =>
      `b${b} ${r[`b${b}Ms`].toFixed(b === 1 ? 2 : 1)} ms (CPU ${r[`b${b}CpuMs`].toFixed(b === 1 ? 2 : 1)}${b === 1 ? '' : `, ${r[`b${b}SeqPerS`].toFixed(0)} seq/s`})`,
  ).join(' | ');
  console.log(
    `${config.padEnd(18)} ${timing}${r.rssMiB === undefined ? '' : ` | RSS ${r.rssMiB.toFixed(0)} MiB (+${r.deltaMiB.toFixed(1)} for the session)`}${r.accuracy === undefined ? '' : ` | dev acc ${(100 * r.accuracy).toFixed(2)}%`}${r.weightBytes ? ` | weights ${(r.weightBytes / 2 ** 20).toFixed(2)} MiB` : ''}`,
  );
}
const machine = {
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  node: process.version,
  onnxruntime: '1.30.0',
  threads,
  loadBefore,
  loadAfter: load(),
  date: new Date().toISOString(),
};
console.log(JSON.stringify(machine));
if (values.json)
  writeFileSync(
    values.json,
    `${JSON.stringify({ machine, model: 'tnews-zh-small', tokens, runs, results }, null, 2)}\n`,
  );
