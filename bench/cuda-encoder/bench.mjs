#!/usr/bin/env node
// samp's CUDA encoder on the BERT-base-shaped model torch_peer.py made (same weights, same inputs):
// the encoder alone (session.benchmark: GPU time per forward pass with the batch on the device, CUDA
// graph replay and eager launches) at fp16 and fp32, batch 1 / 32 / 128 x seq 128, session.run() (upload,
// encode, copy the FP32 output back), and the end-to-end time of pipeline('feature-extraction')
// (tokenize, encode, copy back, head) on texts of 126 words (128 tokens) next to it. Then prints the table with torch.json's rows and the fraction of the
// floor (dense FP16 tensor-core peak, 989 TFLOP/s on the H100 SXM) reached.
// Usage: node bench/cuda-encoder/bench.mjs --model DIR [--iters 50] [--json out.json]
// Runs from the built packages (dist); on the GPU machine pack.mjs bundles it from the sources.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCudaBackend, probeCuda } from '../../packages/encoder-cuda/dist/index.js';
import { pipeline } from '../../packages/samp/dist/index.js';
import { benchArgs, benchModel, SEQ, torchResults } from './bench-model.mjs';

const { dir, iterations, json } = benchArgs();
const BATCHES = [1, 32, 128];
const PEAK_TFLOPS = 989; // H100 SXM dense FP16 tensor core

const { model, ids, batchOf } = await benchModel(dir);
const c = model.config;
/** FLOPs of one forward pass: the four Linears and the two attention matmuls. */
const flops = (batch) => {
  const t = batch * SEQ;
  const h = c.hiddenSize;
  const linear = 2 * t * (4 * h * h + 2 * h * c.intermediateSize);
  const attention = 2 * 2 * batch * SEQ * SEQ * h;
  return c.numHiddenLayers * (linear + attention);
};

const probe = await probeCuda();
const rows = [];
const runRows = [];
for (const precision of ['fp16', 'fp32']) {
  for (const graphs of ['on', 'off']) {
    const backend = createCudaBackend({ cudaGraphs: graphs });
    const session = await backend.createSession(model, { precision });
    for (const batch of BATCHES) {
      const r = await session.benchmark(batchOf(batch), { warmup: 10, iterations });
      rows.push({
        config: `samp ${precision}${graphs === 'on' ? ' (CUDA graph)' : ' (eager launches)'}`,
        batch,
        seq: SEQ,
        medianMs: r.medianMs,
        minMs: r.minMs,
      });
      console.error(`samp ${precision} graphs ${graphs} batch ${batch}: ${r.medianMs.toFixed(3)} ms`);
      if (precision === 'fp16' && graphs === 'on') {
        // The encoder as pipeline() calls it: upload the batch, encode (graph replay), copy the
        // [batch, seq, hidden] FP32 output back to a Float32Array. Wall time.
        const input = batchOf(batch);
        for (let i = 0; i < 5; i++) await session.run(input);
        const times = [];
        for (let i = 0; i < Math.max(10, Math.floor(iterations / 2)); i++) {
          const t0 = performance.now();
          await session.run(input);
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        runRows.push({
          config: 'samp fp16 session.run() (upload, encode, copy back)',
          batch,
          seq: SEQ,
          medianMs: times[times.length >> 1],
          minMs: times[0],
        });
      }
    }
    await session.dispose();
  }
}

rows.push(...runRows);

// End to end: pipeline() on texts of 126 words (128 tokens with [CLS] and [SEP]).
const vocab = readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n');
const text = (row) => Array.from({ length: SEQ - 2 }, (_, j) => vocab[ids[row * SEQ + j + 1]]).join(' ');
const texts = Array.from({ length: 128 }, (_, i) => text(i));
for (const batch of BATCHES) {
  try {
    await using extract = await pipeline('feature-extraction', {
      model: dir,
      backends: [createCudaBackend()],
      precision: 'fp16',
      batchSize: batch,
      headOptions: { pooling: 'cls' },
    });
    const inputs = texts.slice(0, batch);
    for (let i = 0; i < 5; i++) await extract(inputs);
    const times = [];
    for (let i = 0; i < Math.max(10, Math.floor(iterations / 2)); i++) {
      const t0 = performance.now();
      await extract(inputs);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    rows.push({
      config: 'samp fp16 pipeline() end to end',
      batch,
      seq: SEQ,
      medianMs: times[times.length >> 1],
      minMs: times[0],
    });
    console.error(`pipeline batch ${batch}: ${times[times.length >> 1].toFixed(3)} ms`);
  } catch (error) {
    console.error(`pipeline batch ${batch} failed: ${error?.stack ?? error}`);
  }
}

const torch = torchResults(dir);
const all = [...torch.rows, ...rows];
const lines = [
  `device: ${probe.devices[0]?.name ?? '?'}; torch ${torch.torch ?? '?'}; cuBLASLt ${probe.cublasLt.version ?? '?'}`,
  '',
  '| configuration | batch 1 (ms) | batch 32 (ms) | batch 128 (ms) | floor fraction at 32 |',
  '|---|---:|---:|---:|---:|',
];
for (const config of [...new Set(all.map((r) => r.config))]) {
  const at = (b) => all.find((r) => r.config === config && r.batch === b);
  const cell = (b) => (at(b) ? at(b).medianMs.toFixed(3) : '—');
  const floor = (flops(32) / (PEAK_TFLOPS * 1e12)) * 1e3;
  const frac = at(32) ? `${((floor / at(32).medianMs) * 100).toFixed(0)}%` : '—';
  lines.push(`| ${config} | ${cell(1)} | ${cell(32)} | ${cell(128)} | ${frac} |`);
}
lines.push(
  '',
  `floor at batch 32 x 128: ${(flops(32) / 1e9).toFixed(0)} GFLOP / ${PEAK_TFLOPS} TFLOP/s = ${((flops(32) / (PEAK_TFLOPS * 1e12)) * 1e3).toFixed(3)} ms`,
);
console.log(lines.join('\n'));
if (json !== undefined) writeFileSync(json, JSON.stringify({ rows: all, probe }, null, 1));
