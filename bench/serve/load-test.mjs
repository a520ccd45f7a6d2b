#!/usr/bin/env node
// Load test of `samp serve`: throughput and p50/p99 latency with dynamic batching on and off.
//
// Starts the built CLI (`samp serve`, a child process) with the TNEWS demo model, then runs autocannon
// against it on loopback: C concurrent connections (default 64), each POSTing one TNEWS dev title per
// request to /v1/predict ({"inputs": title}, titles in dev-file order from
// ../shared/data/clue_tnews/textcnn_dev.json). Two server configurations, interleaved over --rounds:
//   batched:   --max-batch-size B (default 32) --batch-window-ms W (default 2)
//   unbatched: --max-batch-size 1 (each request is its own encoder run)
// For each: a warm-up run (discarded), then the measured run; the server's /metrics gives the mean
// batch size. Everything else (device, threads, workers) is the same for both.
//
// Usage: node bench/serve/load-test.mjs [--device cpu|cuda] [--connections 64] [--duration 10]
//          [--warmup 3] [--rounds 1] [--max-batch-size 32] [--batch-window-ms 2] [--threads N]
//          [--workers N] [--json bench/serve/results.json]
// --device cuda reports the GPU as unavailable (with the server's reason) where it cannot run.
// Needs the built packages: npx -y pnpm@10.34.8 build (or at least the packages samp depends on).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cpu' },
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '1' },
    'max-batch-size': { type: 'string', default: '32' },
    'batch-window-ms': { type: 'string', default: '2' },
    threads: { type: 'string' },
    workers: { type: 'string' },
    json: { type: 'string', default: join(root, 'bench/serve/results.json') },
  },
});
const connections = Number(values.connections);
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const rounds = Number(values.rounds);

const cli = join(root, 'packages/samp/dist/cli.js');
const model = join(root, 'packages/model-tnews-zh-small/model');
const titles = readFileSync(join(root, '../shared/data/clue_tnews/textcnn_dev.json'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l).sentence);
const bodies = titles.map((t) => JSON.stringify({ inputs: t }));

const CONFIGS = {
  batched: {
    label: `dynamic batching (window ${values['batch-window-ms']} ms, max batch ${values['max-batch-size']})`,
    args: ['--max-batch-size', values['max-batch-size'], '--batch-window-ms', values['batch-window-ms']],
  },
  unbatched: { label: 'no batching (max batch 1)', args: ['--max-batch-size', '1'] },
};

/** Starts `samp serve` and resolves to { url, child } once it listens, or { error } if it exits first. */
function startServer(extraArgs) {
  const args = [cli, 'serve', '--model', `tnews=${model}`, '--port', '0', '--device', values.device];
  if (values.threads !== undefined) args.push('--threads', values.threads);
  if (values.workers !== undefined) args.push('--workers', values.workers);
  // A queue as deep as the clients, so nothing is refused at this load.
  args.push('--max-queue', String(Math.max(1024, connections * 4)), ...extraArgs);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve) => {
    child.stdout.on('data', (d) => {
      out += d;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url !== undefined) resolve({ url, child, stderr: () => err });
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => resolve({ error: err.trim() || `exited with ${code}` }));
  });
}

function stopServer(child) {
  return new Promise((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** One autocannon run: every request sends the next dev title. */
function load(url, seconds) {
  let next = 0;
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/predict',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
      },
    ],
  });
}

/** The mean batch size and batch count from two /metrics scrapes. */
async function batchStats(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = Number(/^samp_batch_size_sum\{model="tnews"\} (\S+)$/m.exec(text)?.[1] ?? 0);
  const count = Number(/^samp_batch_size_count\{model="tnews"\} (\S+)$/m.exec(text)?.[1] ?? 0);
  return { sum, count };
}

async function measure(name) {
  const config = CONFIGS[name];
  const server = await startServer(config.args);
  if (server.error !== undefined) return { config: name, label: config.label, unavailable: server.error };
  try {
    if (warmup > 0) await load(server.url, warmup);
    const before = await batchStats(server.url);
    const result = await load(server.url, duration);
    const after = await batchStats(server.url);
    const ok = result['2xx'];
    return {
      config: name,
      label: config.label,
      requestsPerSecond: ok / duration,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      meanLatencyMs: result.latency.average,
      ok,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      meanBatchSize: (after.sum - before.sum) / Math.max(1, after.count - before.count),
      batches: after.count - before.count,
    };
  } finally {
    await stopServer(server.child);
  }
}

const machine = {
  cpu: cpus()[0]?.model.trim(),
  cores: cpus().length,
  node: process.version,
  device: values.device,
  threads: values.threads ?? 'backend default',
  workers: values.workers ?? '1',
  connections,
  duration,
  date: new Date().toISOString(),
  loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
};
const runs = [];
for (let round = 0; round < rounds; round++) {
  // Alternate the order so a change of machine load does not always hit the same configuration.
  const order = round % 2 === 0 ? ['unbatched', 'batched'] : ['batched', 'unbatched'];
  for (const name of order) {
    const r = await measure(name);
    runs.push({ round, ...r });
    if (r.unavailable !== undefined) {
      process.stderr.write(`${values.device}: unavailable: ${r.unavailable}\n`);
      break;
    }
    process.stderr.write(
      `round ${round + 1} ${r.label}: ${r.requestsPerSecond.toFixed(1)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, mean batch ${r.meanBatchSize.toFixed(1)}\n`,
    );
  }
  if (runs.some((r) => r.unavailable !== undefined)) break;
}
machine.loadAverageAfter = loadavg().map((x) => Number(x.toFixed(2)));

const unavailable = runs.find((r) => r.unavailable !== undefined);
const lines = [
  `| device | configuration | clients | throughput (req/s) | p50 (ms) | p99 (ms) | mean batch | non-2xx / errors |`,
  '|---|---|---:|---:|---:|---:|---:|---|',
];
if (unavailable !== undefined) {
  lines.push(
    `| ${values.device} | — | ${connections} | unavailable: ${unavailable.unavailable.replace(/\n/g, ' ')} | | | | |`,
  );
} else {
  for (const r of runs)
    lines.push(
      `| ${values.device} | ${r.label}${rounds > 1 ? `, round ${r.round + 1}` : ''} | ${connections} | ${r.requestsPerSecond.toFixed(1)} | ${r.p50Ms} | ${r.p99Ms} | ${r.meanBatchSize.toFixed(1)} | ${r.non2xx} / ${r.errors} |`,
    );
  const mean = (name) => {
    const xs = runs.filter((r) => r.config === name).map((r) => r.requestsPerSecond);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  lines.push('', `Throughput, batched / unbatched: ${(mean('batched') / mean('unbatched')).toFixed(2)}x`);
}
process.stdout.write(`${lines.join('\n')}\n`);
writeFileSync(values.json, `${JSON.stringify({ machine, runs }, null, 2)}\n`);
