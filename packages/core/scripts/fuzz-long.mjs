#!/usr/bin/env node
// Long fuzz runs: every target of packages/core/test/fuzz/ with SAMP_FUZZ_RUNS inputs (default
// 100 000), two targets at a time, each in its own vitest process; prints a Markdown table of the
// counts for docs/reliability.md and exits non-zero if any target failed (its minimised input is then
// in $SAMP_FUZZ_FAILURES_DIR, default <tmp>/samp-fuzz-failures).
//
// Usage: node packages/core/scripts/fuzz-long.mjs [target …]
//   env: SAMP_FUZZ_RUNS (100000), SAMP_FUZZ_SEED (20240601), SAMP_FUZZ_PARALLEL (2)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const vitest = join(root, 'node_modules/.bin/vitest');
const ALL = [
  'torch-checkpoint',
  'tokenizer-json',
  'config',
  'safetensors',
  'quant-profile',
  'unpickler',
  'precision-plan',
  'sharded-index',
  'tokenizer-config',
  'vocab-txt',
];
const targets = process.argv.length > 2 ? process.argv.slice(2) : ALL;
const runs = process.env.SAMP_FUZZ_RUNS ?? '100000';
const parallel = Number(process.env.SAMP_FUZZ_PARALLEL ?? 2);
const statsDir = mkdtempSync(join(tmpdir(), 'samp-fuzz-stats-'));
const out = (line) => process.stdout.write(`${line}\n`);

function runTarget(target) {
  return new Promise((resolveRun) => {
    const started = Date.now();
    const child = spawn(vitest, ['run', `packages/core/test/fuzz/${target}.test.ts`], {
      cwd: root,
      env: { ...process.env, SAMP_FUZZ_RUNS: runs, SAMP_FUZZ_STATS_DIR: statsDir, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => {
      log += d;
    });
    child.stderr.on('data', (d) => {
      log += d;
    });
    child.on('close', (code) => {
      const seconds = (Date.now() - started) / 1000;
      out(`${target}: exit ${code} after ${seconds.toFixed(0)} s`);
      if (code !== 0) out(log.slice(-4000));
      resolveRun({ target, code, seconds });
    });
  });
}

const queue = [...targets];
const results = [];
await Promise.all(
  Array.from({ length: parallel }, async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) results.push(await runTarget(t));
  }),
);

out('');
out(
  '| target | inputs | accepted | refused (by code) | max ms / input | max alloc / file | wall s | result |',
);
out('|---|---|---|---|---|---|---|---|');
let failed = false;
for (const target of targets) {
  const r = results.find((x) => x.target === target);
  let stats;
  try {
    stats = JSON.parse(readFileSync(join(statsDir, `${target}.json`), 'utf8'));
  } catch {
    stats = undefined;
  }
  if (r.code !== 0 || stats === undefined) failed = true;
  const codes = stats
    ? Object.entries(stats.refusedByCode)
        .sort((a, b) => b[1] - a[1])
        .map(([c, n]) => `${c.replace('SAMP_', '')} ${n}`)
        .join(', ')
    : '';
  out(
    `| ${target} | ${stats?.runs ?? '?'} | ${stats?.accepted ?? '?'} | ${codes} | ${stats ? stats.maxInputMs.toFixed(0) : '?'} | ${stats ? stats.maxAllocationRatio.toFixed(2) : '?'} | ${r.seconds.toFixed(0)} | ${r.code === 0 ? 'pass' : 'FAIL'} |`,
  );
}
process.exitCode = failed ? 1 : 0;
