#!/usr/bin/env node
// samp's CUDA mixed-precision layers (issue 6) on the BERT-base-shaped model torch_peer.py made (same
// weights and inputs as bench.mjs and the PyTorch rows of torch.json, which this table repeats): FP16,
// INT8 Fully-Quant and Quant-FFN-Only on every layer, FP8 (E4M3 Linears), and the latency curve of plans
// that run the first k of the 12 layers Fully-Quant (k = 0, 3, 6, 9, 12) and the rest in FP16, at batch 1 /
// 32 / 128 x seq 128. GPU time per forward pass with the batch on the device (session.benchmark, CUDA graph
// replay). The profile is calibrated on the same model's FP32 session over 4 batches of its inputs.
// --only TEXT runs only the configurations whose name contains TEXT (fused-or-split choices and cuBLASLt
// tunings are process-wide, so a configuration can be timed without the ones before it).
// Usage: node bench/cuda-encoder/bench-mixed.mjs --model DIR [--iters 50] [--json out.json] [--only TEXT]
import { writeFileSync } from 'node:fs';
import { calibrate } from '../../packages/calibration/dist/index.js';
import { uniformPlan } from '../../packages/core/dist/index.js';
import { createCudaBackend, probeCuda } from '../../packages/encoder-cuda/dist/index.js';
import { benchArgs, benchModel, SEQ, torchResults } from './bench-model.mjs';

const { dir, iterations, json, values } = benchArgs({ only: { type: 'string' } });
const { only } = values;
const BATCHES = [1, 32, 128];
const { model, batchOf } = await benchModel(dir);
const layers = model.config.numHiddenLayers;

const backend = createCudaBackend({ cudaGraphs: 'on' });
const t0 = performance.now();
let profile;
{
  const fp32 = await backend.createSession(model, { precision: 'fp32' });
  profile = (
    await calibrate(
      fp32,
      [0, 1, 2, 3].map((i) => batchOf(16, i * 16)),
    )
  ).profile;
  await fp32.dispose();
}
console.error(`calibrated in ${((performance.now() - t0) / 1e3).toFixed(1)} s`);

/** The first k layers Fully-Quant, the rest FP16. */
const prefixPlan = (k) => ({
  ...uniformPlan(model, 'fp16', { device: 'cuda' }),
  layers: Array.from({ length: layers }, (_, i) => ({ precision: i < k ? 'int8-full' : 'fp16' })),
});
const configs = [
  ['samp fp16', { precision: 'fp16' }],
  ['samp int8-full (all layers)', { precision: 'int8', profile }],
  ['samp int8-ffn (all layers)', { plan: uniformPlan(model, 'int8-ffn', { device: 'cuda' }), profile }],
  ['samp fp8 (all layers)', { precision: 'fp8', profile }],
  ...[3, 6, 9].map((k) => [
    `samp ${k}/${layers} layers int8-full, rest fp16`,
    { plan: prefixPlan(k), profile },
  ]),
];

const rows = [];
for (const [config, options] of configs.filter(([name]) => only === undefined || name.includes(only))) {
  const session = await backend.createSession(model, options);
  for (const batch of BATCHES) {
    const r = await session.benchmark(batchOf(batch), { warmup: 10, iterations });
    rows.push({ config, batch, seq: SEQ, medianMs: r.medianMs, minMs: r.minMs });
    console.error(`${config} batch ${batch}: ${r.medianMs.toFixed(3)} ms`);
  }
  await session.dispose();
}

const probe = await probeCuda();
const torch = torchResults(dir);
const all = [...torch.rows, ...rows];
const at = (config, b) => all.find((r) => r.config === config && r.batch === b);
const fp16 = (b) => at('samp fp16', b)?.medianMs;
const lines = [
  `device: ${probe.devices[0]?.name ?? '?'}; torch ${torch.torch ?? '?'}; cuBLASLt ${probe.cublasLt.version ?? '?'}`,
  '',
  '| configuration | batch 1 (ms) | batch 32 (ms) | batch 128 (ms) | speed-up over samp fp16 at 32 / 128 |',
  '|---|---:|---:|---:|---:|',
];
for (const config of [...new Set(all.map((r) => r.config))]) {
  const cell = (b) => (at(config, b) ? at(config, b).medianMs.toFixed(3) : '—');
  const speedup = (b) =>
    at(config, b) && fp16(b) ? `${(fp16(b) / at(config, b).medianMs).toFixed(2)}×` : '—';
  lines.push(`| ${config} | ${cell(1)} | ${cell(32)} | ${cell(128)} | ${speedup(32)} / ${speedup(128)} |`);
}
lines.push('', 'Latency curve (first k layers int8-full, the rest fp16), batch 32:');
for (const k of [0, 3, 6, 9, 12]) {
  const config =
    k === 0
      ? 'samp fp16'
      : k === layers
        ? 'samp int8-full (all layers)'
        : `samp ${k}/${layers} layers int8-full, rest fp16`;
  lines.push(`- k = ${k}: ${at(config, 32)?.medianMs.toFixed(3) ?? '—'} ms`);
}
console.log(lines.join('\n'));
if (json !== undefined) writeFileSync(json, JSON.stringify({ rows: all, probe }, null, 1));
