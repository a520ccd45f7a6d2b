#!/usr/bin/env node
// Where does dynamic batching win or lose on the CPU? Without HTTP: the same TNEWS dev titles through
// `pipeline()` as the server runs them, one title per call (what `--max-batch-size 1` does) versus
// calls of 32 titles (a full batch of the batcher), over the levers the server has:
//   precision  fp32 / int8 (dynamic scales)
//   padding    compute (pad positions run through the encoder, HF-exact) / skip (padding-free)
//   run size   encoder runs of 32 or 8 inputs inside the 32-title call (pipeline `batchSize`)
//   sessions   1 session × 2 threads, or 2 sessions × 1 thread with two calls in flight
// Each configuration encodes the same `--titles` titles; rounds are interleaved (every configuration
// once per round, order rotated) and the median over rounds is reported: titles/s (wall) and CPU
// milliseconds per title (process CPU time, all threads). A second table splits one 32-title call into
// its stages (tokenize, encoder, head, JSON) and gives the encoder's CPU time per real token at batch 1
// and 32, the number that decides whether batching can pay on this CPU.
//
// Usage: node bench/serve/batch-profile.mjs [--titles 256] [--rounds 3] [--json out.json]
// Needs the built packages (npx -y pnpm@10.34.8 build, or at least samp and its dependencies).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCpuBackend } from '../../packages/encoder-cpu-vnni/dist/index.js';
import { pipeline } from '../../packages/samp/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    titles: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '3' },
    configs: { type: 'string' },
    'stage-threads': { type: 'string', default: '1,2' },
    json: { type: 'string' },
  },
});
const count = Number(values.titles);
const rounds = Number(values.rounds);
const model = join(root, 'packages/model-tnews-zh-small/model');
const titles = readFileSync(join(root, '../shared/data/clue_tnews/textcnn_dev.json'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l).sentence)
  .slice(0, count);

/** Opens `sessions` pipelines of one configuration. */
async function open({ precision, pad, threads, sessions, runSize }) {
  const backend = createCpuBackend({ padPositions: pad });
  return Promise.all(
    Array.from({ length: sessions }, () =>
      pipeline('classification', {
        model,
        device: 'cpu',
        precision,
        threads,
        batchSize: runSize,
        backends: [backend],
      }),
    ),
  );
}

/** Encodes every title in calls of `callSize`, `pipes.length` calls in flight; returns wall and CPU ms. */
async function encodeAll(pipes, callSize) {
  const calls = [];
  for (let i = 0; i < titles.length; i += callSize) calls.push(titles.slice(i, i + callSize));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    pipes.map(async (p) => {
      while (next < calls.length) {
        const call = calls[next++];
        // The server answers with JSON: count its cost too.
        JSON.stringify(await p(call));
      }
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

const CONFIGS = [];
for (const precision of ['fp32', 'int8'])
  for (const pad of ['compute', 'skip']) {
    CONFIGS.push({
      name: `${precision} ${pad} b1 1x2t`,
      precision,
      pad,
      threads: 2,
      sessions: 1,
      runSize: 1,
      callSize: 1,
    });
    CONFIGS.push({
      name: `${precision} ${pad} b1 2x1t`,
      precision,
      pad,
      threads: 1,
      sessions: 2,
      runSize: 1,
      callSize: 1,
    });
    CONFIGS.push({
      name: `${precision} ${pad} b32 1x2t`,
      precision,
      pad,
      threads: 2,
      sessions: 1,
      runSize: 32,
      callSize: 32,
    });
    CONFIGS.push({
      name: `${precision} ${pad} b32/run8 1x2t`,
      precision,
      pad,
      threads: 2,
      sessions: 1,
      runSize: 8,
      callSize: 32,
    });
    CONFIGS.push({
      name: `${precision} ${pad} b32 2x1t`,
      precision,
      pad,
      threads: 1,
      sessions: 2,
      runSize: 32,
      callSize: 32,
    });
  }
const wanted = values.configs === undefined ? undefined : new RegExp(values.configs);
const chosen = CONFIGS.filter((c) => wanted === undefined || wanted.test(c.name));

const opened = new Map();
for (const c of chosen) {
  const pipes = await open(c);
  await encodeAll(pipes, c.callSize); // warm-up: workspaces sized, caches warm
  opened.set(c.name, pipes);
}
const samples = new Map(chosen.map((c) => [c.name, []]));
const loads = [loadavg()[0]];
for (let round = 0; round < rounds; round++) {
  const order = chosen.map((_, i) => chosen[(i + round) % chosen.length]);
  for (const c of order) samples.get(c.name).push(await encodeAll(opened.get(c.name), c.callSize));
  loads.push(loadavg()[0]);
  process.stderr.write(`round ${round + 1}/${rounds} done (load ${loadavg()[0].toFixed(2)})\n`);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = chosen.map((c) => {
  const xs = samples.get(c.name);
  const wall = median(xs.map((x) => x.wall));
  const cpu = median(xs.map((x) => x.cpu));
  return { ...c, titlesPerSecond: (titles.length / wall) * 1000, cpuMsPerTitle: cpu / titles.length };
});

// Stage split of one 32-title call and the encoder's per-token CPU cost, on fresh single sessions.
async function stages(precision, pad, threads) {
  const [p] = await open({ precision, pad, threads, sessions: 1, runSize: 32 });
  const batches = [];
  for (let i = 0; i + 32 <= titles.length; i += 32) batches.push(titles.slice(i, i + 32));
  const tok = p.tokenizer;
  const pack = (encs) => {
    const L = Math.max(...encs.map((e) => e.length));
    const input = {
      inputIds: new Int32Array(encs.length * L),
      attentionMask: new Int32Array(encs.length * L),
      batchSize: encs.length,
      sequenceLength: L,
    };
    encs.forEach((e, r) => {
      input.inputIds.set(e.ids, r * L);
      input.attentionMask.fill(1, r * L, r * L + e.length);
    });
    return input;
  };
  // Reach the session through a second pipeline-free session of the same backend and options.
  const backend = createCpuBackend({ padPositions: pad });
  const session = await backend.createSession(p.model, { precision, threads });
  const cpuOf = (fn) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    return Promise.resolve(fn()).then(() => {
      const c = process.cpuUsage(c0);
      return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
    });
  };
  const sum = { tokenize: 0, encoder32: 0, encoder1: 0, call: 0, json: 0 };
  let realTokens = 0;
  let paddedTokens = 0;
  for (let rep = 0; rep < 2; rep++)
    for (const batch of batches) {
      let encs;
      sum.tokenize += (
        await cpuOf(() => {
          encs = tok.encodeAll(batch, { maxLength: p.maxLength, truncation: 'longest_first' });
        })
      ).cpu;
      // Sorted by length as the pipeline does, so padding is what a real run pads.
      encs.sort((a, b) => b.length - a.length);
      const input = pack(encs);
      if (rep === 1) {
        realTokens += encs.reduce((n, e) => n + e.length, 0);
        paddedTokens += input.batchSize * input.sequenceLength;
      }
      sum.encoder32 += (await cpuOf(() => session.run(input))).cpu;
      sum.encoder1 += (
        await cpuOf(async () => {
          for (const e of encs) await session.run(pack([e]));
        })
      ).cpu;
      let out;
      sum.call += (
        await cpuOf(async () => {
          out = await p(batch);
        })
      ).cpu;
      sum.json += (await cpuOf(() => JSON.stringify(out))).cpu;
    }
  await session.dispose();
  await p.dispose();
  const n = 2 * batches.length * 32;
  return {
    precision,
    pad,
    threads,
    tokenizeMsPerTitle: sum.tokenize / n,
    encoderMsPerTitleBatch32: sum.encoder32 / n,
    encoderMsPerTitleBatch1: sum.encoder1 / n,
    pipelineMsPerTitleBatch32: sum.call / n,
    jsonMsPerTitle: sum.json / n,
    realTokensPerTitle: realTokens / (n / 2),
    paddedTokensPerTitle: paddedTokens / (n / 2),
  };
}
const split = [];
for (const threads of values['stage-threads'].split(',').map(Number))
  for (const precision of ['fp32', 'int8'])
    for (const pad of ['compute', 'skip'])
      if (wanted === undefined || wanted.test(`${precision} ${pad}`))
        split.push(await stages(precision, pad, threads));
for (const pipes of opened.values()) await Promise.all(pipes.map((p) => p.dispose()));

const machine = {
  cpu: cpus()[0]?.model.trim(),
  cores: cpus().length,
  node: process.version,
  date: new Date().toISOString(),
  titles: titles.length,
  rounds,
  loadAverage1m: loads.map((x) => Number(x.toFixed(2))),
};
const out = [
  `titles: ${titles.length} TNEWS dev titles, ${rounds} interleaved rounds, median; load ${machine.loadAverage1m.join(' → ')}`,
  '',
  '| configuration | titles/s | CPU ms/title |',
  '|---|---:|---:|',
  ...rows.map((r) => `| ${r.name} | ${r.titlesPerSecond.toFixed(1)} | ${r.cpuMsPerTitle.toFixed(2)} |`),
  '',
  '| threads | precision | padding | tokenize | encoder b1 | encoder b32 | b1 / b32 | pipeline call of 32 | JSON | real / padded tokens per title |',
  '|---:|---|---|---:|---:|---:|---:|---:|---:|---|',
  ...split.map(
    (s) =>
      `| ${s.threads} | ${s.precision} | ${s.pad} | ${s.tokenizeMsPerTitle.toFixed(3)} | ${s.encoderMsPerTitleBatch1.toFixed(2)} | ${s.encoderMsPerTitleBatch32.toFixed(2)} | ${(s.encoderMsPerTitleBatch1 / s.encoderMsPerTitleBatch32).toFixed(2)}x | ${s.pipelineMsPerTitleBatch32.toFixed(2)} | ${s.jsonMsPerTitle.toFixed(3)} | ${s.realTokensPerTitle.toFixed(1)} / ${s.paddedTokensPerTitle.toFixed(1)} |`,
  ),
  '',
  '(second table: CPU ms per title, all threads; encoder b1 = each title its own run of its own length)',
];
process.stdout.write(`${out.join('\n')}\n`);
if (values.json !== undefined)
  writeFileSync(values.json, `${JSON.stringify({ machine, rows, split }, null, 2)}\n`);
