// Leaks (issue 12): create / encode / dispose cycles of the worker pool keep the resident memory flat.
// Each cycle starts a pool of one worker (a new V8 isolate that rebuilds the tokenizer), encodes real
// lines on it, checks the result against the calling thread's, and disposes it. After a warm-up, the
// RSS after a full GC may grow by at most GROWTH_BOUND_MIB over the measured cycles; a worker that
// was never freed would cost several MiB each.
//
// CI: 6 cycles (each starts a worker and rebuilds a 21k-token vocabulary in it: 0.1 to 0.9 s on a
// busy 2-core machine). Long run: SAMP_LEAK_POOL_CYCLES=200; SAMP_LEAK_REPORT=<file> appends the
// numbers as a JSON line (docs/reliability.md).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createTokenizerPool } from '../src/index';
import { excerpt, expectSameBatch } from './excerpt-helpers';
import { tokenizerFor } from './golden-helpers';

/** Pools measured after warm-up: 6 in CI, `SAMP_LEAK_POOL_CYCLES` for long runs. */
const CYCLES = Number(process.env.SAMP_LEAK_POOL_CYCLES ?? 6);
const WARMUP = 2;
const GROWTH_BOUND_MIB = 16;

/** RSS after full garbage collections and two turns of the event loop (worker teardown runs there). */
async function settledRss(): Promise<number> {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < 2; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().rss;
}

describe('tokenizer pool: create / encode / dispose cycles', () => {
  it(`keeps the RSS within ${GROWTH_BOUND_MIB} MiB over ${CYCLES} pools`, { timeout: 900_000 }, async () => {
    // The worker runs the built package (see pool.test.ts); CI builds before testing.
    if (!existsSync(join(__dirname, '../dist/pool/worker.js')))
      throw new Error('@samp/tokenizer is not built: run `pnpm --filter @samp/tokenizer build` first');
    const tokenizer = tokenizerFor('chinese', true);
    const lines = [...excerpt('en').slice(0, 300), ...excerpt('zh').slice(0, 300)];
    const expected = tokenizer.encodeBatch(lines, { maxLength: 64 });
    const cycle = async () => {
      const pool = createTokenizerPool(tokenizer, { size: 1, minBatchSize: 1 });
      try {
        expectSameBatch(await pool.encodeBatch(lines, { maxLength: 64 }), expected);
      } finally {
        await pool.dispose();
      }
    };
    const started = Date.now();
    for (let i = 0; i < WARMUP; i++) await cycle();
    const base = await settledRss();
    const samples = [base];
    for (let i = 1; i <= CYCLES; i++) {
      await cycle();
      if (i % Math.max(1, Math.floor(CYCLES / 5)) === 0 || i === CYCLES) samples.push(await settledRss());
    }
    const mib = (b: number) => Math.round((b / 2 ** 20) * 100) / 100;
    const end = samples[samples.length - 1] as number;
    const report = {
      name: 'tokenizer pool create/encode/dispose',
      cycles: CYCLES,
      warmupCycles: WARMUP,
      rssAfterWarmupMiB: mib(base),
      rssEndMiB: mib(end),
      growthMiB: mib(end - base),
      samplesMiB: samples.map(mib),
      seconds: (Date.now() - started) / 1000,
    };
    const file = process.env.SAMP_LEAK_REPORT;
    if (file !== undefined && file !== '') writeFileSync(file, `${JSON.stringify(report)}\n`, { flag: 'a' });
    expect(report.growthMiB, JSON.stringify(report)).toBeLessThanOrEqual(GROWTH_BOUND_MIB);
  });
});
