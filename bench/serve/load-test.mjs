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
// batch size. Everything else (device, precision, padding, threads, workers) is the same for both,
// unless --batched-args / --unbatched-args add server options to one of them (e.g. to compare each
// configuration's best settings).
//
// Usage: node bench/serve/load-test.mjs [--device cpu|cuda] [--connections 64] [--duration 10]
//          [--warmup 3] [--rounds 1] [--max-batch-size 32] [--batch-window-ms 2] [--threads N]
//          [--workers N] [--precision fp32|int8] [--pad-positions skip|compute]
//          [--batched-args "--run-size 8"] [--unbatched-args "--workers 2"]
//          [--json bench/serve/results.json] [--cli packages/samp/dist/cli.js] [--titles textcnn_dev.json]
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
    precision: { type: 'string' },
    'pad-positions': { type: 'string' },
    'batched-args': { type: 'string', default: '' },
    'unbatched-args': { type: 'string', default: '' },
    json: { type: 'string', default: join(root, 'bench/serve/results.json') },
    cli: { type: 'string', default: join(root, 'packages/samp/dist/cli.js') },
    titles: { type: 'string', default: join(root, '../shared/data/clue_tnews/textcnn_dev.json') },
  },
});
const connections = Number(values.connections);
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const rounds = Number(values.rounds);

const cli = values.cli;
const model = join(root, 'packages/model-tnews-zh-small/model');
const titles = readFileSync(values.titles, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l).sentence);
const bodies = titles.map((t) => JSON.stringify({ inputs: t }));

const words = (text) => text.split(/\s+/).filter((w) => w !== '');
const extra = (text) => (text.trim() === '' ? '' : `, ${text.trim()}`);
const CONFIGS = {
  batched: {
    label: `dynamic batching (window ${values['batch-window-ms']} ms, max batch ${values['max-batch-size']}${extra(values['batched-args'])})`,
    args: [
      '--max-batch-size',
      values['max-batch-size'],
      '--batch-window-ms',
      values['batch-window-ms'],
      ...words(values['batched-args']),
    ],
  },
  unbatched: {
    label: `no batching (max batch 1${extra(values['unbatched-args'])})`,
    args: ['--max-batch-size', '1', ...words(values['unbatched-args'])],
  },
};

/** Starts `samp serve` and resolves to { url, child } once it listens, or { error } if it exits first. */
function startServer(extraArgs) {
  const args = [cli, 'serve', '--model', `tnews=${model}`, '--port', '0', '--device', values.device];
  if (values.threads !== undefined) args.push('--threads', values.threads);
  if (values.workers !== undefined) args.push('--workers', values.workers);
  if (values.precision !== undefined) args.push('--precision', values.precision);
  if (values['pad-positions'] !== undefined) args.push('--pad-positions', values['pad-positions']);
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

/**
 * CPU milliseconds (user + system, all threads) a process has used, from /proc (Linux; undefined
 * elsewhere). Unlike wall-clock throughput, CPU per request barely moves when other jobs share the box.
 */
function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
// Linux's USER_HZ, the unit of /proc/<pid>/stat times, is 100 on every mainstream architecture.
const CLOCK_TICKS = 100;

async function measure(name) {
  const config = CONFIGS[name];
  const server = await startServer(config.args);
  if (server.error !== undefined) return { config: name, label: config.label, unavailable: server.error };
  try {
    if (warmup > 0) await load(server.url, warmup);
    const before = await batchStats(server.url);
    const serverCpu0 = processCpuMs(server.child.pid);
    const clientCpu0 = process.cpuUsage();
    const result = await load(server.url, duration);
    const serverCpu1 = processCpuMs(server.child.pid);
    const clientCpu = process.cpuUsage(clientCpu0);
    const after = await batchStats(server.url);
    // The 1-minute load average at the end of the measured run (this run itself adds about 2-3).
    const load1m = Number(loadavg()[0].toFixed(2));
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
      load1m,
      serverCpuMsPerRequest:
        serverCpu0 === undefined || serverCpu1 === undefined
          ? undefined
          : (serverCpu1 - serverCpu0) / Math.max(1, ok),
      clientCpuMsPerRequest: (clientCpu.user + clientCpu.system) / 1000 / Math.max(1, ok),
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
  precision: values.precision ?? 'fp32',
  padPositions: values['pad-positions'] ?? 'server default',
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
      `round ${round + 1} ${r.label}: ${r.requestsPerSecond.toFixed(1)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, mean batch ${r.meanBatchSize.toFixed(1)}, server CPU ${r.serverCpuMsPerRequest?.toFixed(2)} ms/req, client CPU ${r.clientCpuMsPerRequest.toFixed(2)} ms/req, load ${r.load1m}\n`,
    );
  }
  if (runs.some((r) => r.unavailable !== undefined)) break;
}
machine.loadAverageAfter = loadavg().map((x) => Number(x.toFixed(2)));

const unavailable = runs.find((r) => r.unavailable !== undefined);
const lines = [
  `| device | precision | configuration | clients | throughput (req/s) | p50 (ms) | p99 (ms) | mean batch | server CPU ms/req | non-2xx / errors | load 1m |`,
  '|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|',
];
if (unavailable !== undefined) {
  lines.push(
    `| ${values.device} | ${machine.precision} | — | ${connections} | unavailable: ${unavailable.unavailable.replace(/\n/g, ' ')} | | | | | | |`,
  );
} else {
  for (const r of runs)
    lines.push(
      `| ${values.device} | ${machine.precision} | ${r.label}${rounds > 1 ? `, round ${r.round + 1}` : ''} | ${connections} | ${r.requestsPerSecond.toFixed(1)} | ${r.p50Ms} | ${r.p99Ms} | ${r.meanBatchSize.toFixed(1)} | ${r.serverCpuMsPerRequest?.toFixed(2) ?? '—'} | ${r.non2xx} / ${r.errors} | ${r.load1m} |`,
    );
  const mean = (name) => {
    const xs = runs.filter((r) => r.config === name).map((r) => r.requestsPerSecond);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const cpu = (name) => {
    const xs = runs.filter((r) => r.config === name).map((r) => r.serverCpuMsPerRequest ?? Number.NaN);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  lines.push(
    '',
    `Throughput, batched / unbatched: ${(mean('batched') / mean('unbatched')).toFixed(2)}x; server CPU per request, unbatched / batched: ${(cpu('unbatched') / cpu('batched')).toFixed(2)}x`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
writeFileSync(values.json, `${JSON.stringify({ machine, runs }, null, 2)}\n`);
