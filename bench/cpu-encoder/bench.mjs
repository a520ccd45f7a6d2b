#!/usr/bin/env node
// FP32 CPU encoder latency: samp's cpu backend on the trained TNEWS model (4 layers, hidden 256,
// intermediate 1024), batch 1 and 32 × 48 real tokens (dev.jsonl.gz ids, repeated to 48), 2 threads by
// default, AVX2 and scalar kernels. The onnxruntime-node FP32 peer on the same ONNX export comes later
// (the export is made on the GPU machine).
// Usage: node bench/cpu-encoder/bench.mjs [--threads 2] [--runs 50] [--json out.json]
// Needs `npx -y pnpm@10.34.8 --filter @samp/core --filter @samp/encoder-cpu-vnni build` first (the
// bench loads the built packages as a user would).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { loadModel } from '../../packages/core/dist/index.js';
import { createCpuBackend } from '../../packages/encoder-cpu-vnni/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    runs: { type: 'string', default: '50' },
    tokens: { type: 'string', default: '48' },
    json: { type: 'string' },
  },
});
const threads = Number(values.threads);
const runs = Number(values.runs);
const tokens = Number(values.tokens);
const modelDir = join(root, 'packages/model-tnews-zh-small/model');
const model = await loadModel(modelDir, { tokenizer: false });
const dev = gunzipSync(readFileSync(join(modelDir, 'dev.jsonl.gz')))
  .toString('utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l).input_ids);

/** `batch` rows of exactly `tokens` real ids: [CLS] text… repeated, [SEP] last. */
function batchOf(batch) {
  const input = {
    inputIds: new Int32Array(batch * tokens),
    attentionMask: new Int32Array(batch * tokens).fill(1),
    tokenTypeIds: new Int32Array(batch * tokens),
    batchSize: batch,
    sequenceLength: tokens,
  };
  for (let row = 0; row < batch; row++) {
    const ids = dev[row % dev.length];
    const body = ids.slice(1, -1);
    const line = [ids[0]];
    while (line.length < tokens - 1) line.push(body[(line.length - 1) % body.length]);
    line.push(ids[ids.length - 1]);
    input.inputIds.set(line, row * tokens);
  }
  return input;
}

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { medianMs: at(0.5), p90Ms: at(0.9), minMs: sorted[0] };
}

const results = [];
for (const isa of ['avx2', 'scalar']) {
  process.env.SAMP_CPU_ISA = isa;
  const session = await createCpuBackend({ threads }).createSession(model, { precision: 'fp32' });
  delete process.env.SAMP_CPU_ISA;
  for (const batch of [1, 32]) {
    const input = batchOf(batch);
    const n = batch === 1 ? runs * 4 : runs;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < Math.max(5, n / 10); i++) await session.run(input);
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(input);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const cpu = process.cpuUsage(cpu0);
    const s = stats(times);
    // CPU time per run (all threads): on a shared machine it is steadier than wall time.
    const cpuMsPerRun = (cpu.user + cpu.system) / 1000 / (n + Math.max(5, n / 10));
    const r = {
      isa: session.isa,
      threads: session.threads,
      batch,
      tokens,
      runs: n,
      ...s,
      cpuMsPerRun,
      sequencesPerS: (batch * 1000) / s.medianMs,
    };
    results.push(r);
    console.log(
      `${r.isa.padEnd(6)} threads ${r.threads} batch ${String(batch).padStart(2)} × ${tokens}: median ${s.medianMs.toFixed(2)} ms, p90 ${s.p90Ms.toFixed(2)} ms, min ${s.minMs.toFixed(2)} ms, CPU ${cpuMsPerRun.toFixed(2)} ms/run, ${r.sequencesPerS.toFixed(0)} seq/s`,
    );
  }
  await session.dispose();
}
const machine = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version };
console.log(JSON.stringify(machine));
if (values.json)
  writeFileSync(values.json, `${JSON.stringify({ machine, model: 'tnews-zh-small', results }, null, 2)}\n`);
