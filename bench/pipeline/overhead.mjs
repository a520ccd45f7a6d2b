#!/usr/bin/env node
// What the facade costs: the same texts through pipeline('classification', …) and through the packages
// wired by hand (tokenizer.encodeBuckets → CPU session.run → classification head.decode → input order),
// in one process, on one shared CPU session, interleaved (ABBA order, so drift and other jobs on the
// machine hit both alike).
//
// Workloads on the TNEWS demo model (4 layers, hidden 256), FP32, max length 64, batches of 32:
//   batch   one call with `--texts` dev titles (the facade's sorting, batching and reordering per call)
//   single  `--calls` calls of one title each (the facade's fixed cost per call is largest here)
// and the same two on a zero-cost encoder (a backend that returns zeros at once; `--zero-calls` single
// calls), which leaves only the JavaScript around the encoder, so the facade's own cost stands out.
// Reports, in wall time and in the process's CPU time (all threads; less sensitive to other jobs on a
// shared machine), each side's median, the overhead in % of the medians, and the median of the per-round
// ratios (pipeline / hand-wired of the same round), which is the steadier of the two under load.
//
// Usage: node bench/pipeline/overhead.mjs [--rounds 10] [--texts 512] [--calls 200] [--zero-calls 2000]
//          [--threads N] [--json out.json]
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
import { loadModel } from '../../packages/core/dist/index.js';
import { createCpuBackend } from '../../packages/encoder-cpu-vnni/dist/index.js';
import { createClassificationHead } from '../../packages/head-classification/dist/index.js';
import { pipeline } from '../../packages/samp/dist/index.js';
import { fromModelDir } from '../../packages/tokenizer/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    texts: { type: 'string', default: '512' },
    calls: { type: 'string', default: '200' },
    'zero-calls': { type: 'string', default: '2000' },
    threads: { type: 'string' },
    json: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const threads = values.threads === undefined ? undefined : Number(values.threads);
const dir = join(root, 'packages/model-tnews-zh-small/model');
const MAX_LENGTH = 64; // what the model was trained and its golden file made with
const BATCH_SIZE = 32; // pipeline()'s default

const dev = gunzipSync(readFileSync(join(dir, 'dev.jsonl.gz')))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l).text);
const batchTexts = dev.slice(0, Number(values.texts));
const singleTexts = dev.slice(0, Number(values.calls));

/** The hand-wired path: exactly the packages pipeline() uses, with no facade in between. */
async function handWired(backend) {
  const [model, tokenizer] = await Promise.all([loadModel(dir), fromModelDir(dir)]);
  const [session, head] = await Promise.all([
    backend.createSession(model, { precision: 'fp32' }),
    createClassificationHead(model),
  ]);
  const withTypes = model.config.typeVocabSize > 1;
  return {
    session,
    async run(texts) {
      const out = new Array(texts.length);
      for (const b of tokenizer.encodeBuckets(texts, {
        maxLength: MAX_LENGTH,
        truncation: 'longest_first',
        batchSize: BATCH_SIZE,
      })) {
        const input = {
          inputIds: b.ids,
          attentionMask: b.attentionMask,
          batchSize: b.batchSize,
          sequenceLength: b.seqLength,
        };
        if (withTypes) input.tokenTypeIds = b.typeIds;
        const results = head.decode(await session.run(input), { attentionMask: b.attentionMask });
        results.forEach((r, k) => {
          out[b.inputIndices[k]] = r;
        });
      }
      return out;
    },
    dispose: () => session.dispose(),
  };
}

/**
 * A backend whose encoder costs nothing: it returns an all-zero hidden state of the right shape at once.
 * Both paths run on it too, so what remains is the JavaScript around the encoder (tokenizing, batching,
 * the head, reordering), where the facade's own cost would show.
 */
const zeroBackend = {
  specificationVersion: 'v1',
  name: 'zero',
  device: 'cpu',
  probe: async () => ({ status: 'available', details: {} }),
  createSession: async (model) => {
    const session = {
      model,
      precision: 'fp32',
      plan: undefined,
      run: async (input) => ({
        lastHiddenState: new Float32Array(input.batchSize * input.sequenceLength * model.config.hiddenSize),
        batchSize: input.batchSize,
        sequenceLength: input.sequenceLength,
        hiddenSize: model.config.hiddenSize,
      }),
      dispose: async () => {},
    };
    session[Symbol.asyncDispose] = session.dispose;
    return session;
  },
};

/**
 * One CPU session serves both paths: pipeline() gets it through its `backends` option (a backend whose
 * sessions delegate to it), so both paths run on the same native weights and thread pool, and only what
 * surrounds the encoder differs.
 */
function sharing(session) {
  return {
    specificationVersion: 'v1',
    name: 'cpu-shared',
    device: 'cpu',
    probe: async () => ({ status: 'available', details: {} }),
    createSession: async () => ({
      model: session.model,
      precision: session.precision,
      plan: session.plan,
      run: (input, runOptions) => session.run(input, runOptions),
      dispose: async () => {},
      [Symbol.asyncDispose]: async () => {},
    }),
  };
}

const options = { model: dir, maxLength: MAX_LENGTH, batchSize: BATCH_SIZE };
const hand = await handWired(createCpuBackend(threads === undefined ? {} : { threads }));
const p = await pipeline('classification', { ...options, backends: [sharing(hand.session)] });
const pZero = await pipeline('classification', { ...options, backends: [zeroBackend] });
const handZero = await handWired(zeroBackend);

// The two paths must compute the same thing, or the timing means nothing.
const [a, b] = [await p(batchTexts), await hand.run(batchTexts)];
const labelMismatches = a.filter((r, i) => r.labelId !== b[i].labelId).length;
let maxLogitDiff = 0;
a.forEach((r, i) => {
  r.logits.forEach((x, j) => {
    maxLogitDiff = Math.max(maxLogitDiff, Math.abs(x - b[i].logits[j]));
  });
});

const zeroCalls = dev.slice(0, Number(values['zero-calls']));
const workloads = {
  batch: {
    pipeline: () => p(batchTexts),
    handWired: () => hand.run(batchTexts),
  },
  single: {
    pipeline: async () => {
      for (const t of singleTexts) await p(t);
    },
    handWired: async () => {
      for (const t of singleTexts) await hand.run([t]);
    },
  },
  'batch, zero-cost encoder': {
    pipeline: () => pZero(batchTexts),
    handWired: () => handZero.run(batchTexts),
  },
  'single, zero-cost encoder': {
    pipeline: async () => {
      for (const t of zeroCalls) await pZero(t);
    },
    handWired: async () => {
      for (const t of zeroCalls) await handZero.run([t]);
    },
  },
};
const itemsOf = { batch: batchTexts.length, single: singleTexts.length };
itemsOf['batch, zero-cost encoder'] = batchTexts.length;
itemsOf['single, zero-cost encoder'] = zeroCalls.length;

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Wall seconds, and CPU seconds of the whole process (every thread: JS, libuv, the native pool). */
async function time(fn) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1e6 };
}

const machine = {
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  node: process.version,
  threads: hand.session.threads,
  isa: hand.session.isa,
  loadAverageBefore: loadavg().map((x) => Number(x.toFixed(2))),
};
console.error(`machine: ${JSON.stringify(machine)}`);

const results = {};
for (const [name, w] of Object.entries(workloads)) {
  await w.pipeline(); // warm both (JIT, first touch of the packed weights)
  await w.handWired();
  const seconds = { pipeline: [], handWired: [] };
  const cpuSeconds = { pipeline: [], handWired: [] };
  for (let r = 0; r < rounds; r++) {
    // ABBA: the first of each pair of rounds runs the pipeline first, the second the hand-wired path.
    const order = r % 2 === 0 ? ['pipeline', 'handWired'] : ['handWired', 'pipeline'];
    for (const side of order) {
      const t = await time(w[side]);
      seconds[side].push(t.wall);
      cpuSeconds[side].push(t.cpu);
    }
  }
  const items = itemsOf[name];
  const summary = (xs) => {
    const pipe = median(xs.pipeline);
    const wired = median(xs.handWired);
    return {
      pipelineMedianSeconds: pipe,
      handWiredMedianSeconds: wired,
      overheadPercentOfMedians: ((pipe - wired) / wired) * 100,
      medianRoundRatioPercent: (median(xs.pipeline.map((s, i) => s / xs.handWired[i])) - 1) * 100,
    };
  };
  const wall = summary(seconds);
  results[name] = {
    items,
    wall,
    cpu: summary(cpuSeconds),
    pipelineTextsPerSecond: items / wall.pipelineMedianSeconds,
    handWiredTextsPerSecond: items / wall.handWiredMedianSeconds,
    // What the facade adds per text (per call for the single workloads), from the CPU-time medians.
    pipelineMinusHandWiredMicrosecondsPerText:
      ((median(cpuSeconds.pipeline) - median(cpuSeconds.handWired)) / items) * 1e6,
    seconds,
    cpuSeconds,
  };
  console.error(`${name}: ${JSON.stringify(results[name])}`);
}
await Promise.all([hand.dispose(), p.dispose(), handZero.dispose(), pZero.dispose()]);

const report = {
  machine: { ...machine, loadAverageAfter: loadavg().map((x) => Number(x.toFixed(2))) },
  date: new Date().toISOString().slice(0, 10),
  model: 'packages/model-tnews-zh-small (TNEWS, 4 layers, hidden 256), fp32',
  maxLength: MAX_LENGTH,
  batchSize: BATCH_SIZE,
  rounds,
  agreement: { texts: batchTexts.length, labelMismatches, maxLogitDiff },
  results,
};
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
else console.log(JSON.stringify(report, null, 2));
