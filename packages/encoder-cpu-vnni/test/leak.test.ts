// Leaks (issue 12): create / run / dispose cycles of cpu sessions keep the resident memory flat and
// leave no thread behind, on the bert fixture, FP32 and a uniform INT8 plan in turn (so both weight
// packings are made and freed), some runs returning every hidden state or an observed tensor. Two
// loops: the addon alone (the specs read once, so a cycle is ~1 ms of native create / run / dispose),
// and the public backend API (which reads the weights from the model each time, ~6 ms). After a
// warm-up (allocator arenas, thread stacks, the JIT), the RSS after a full GC may grow by at most
// GROWTH_BOUND_MIB over the measured cycles, and the process has the threads it had before. Sessions
// dropped without dispose are freed by the garbage collector: their pool threads end (finalizer path).
//
// CI: 1,000 + 50 cycles, 100 dropped sessions. Long run: SAMP_LEAK_CYCLES=10000 (and
// SAMP_LEAK_REPORT=<file> to keep the numbers as JSON lines), recorded in docs/reliability.md.
import { appendFileSync } from 'node:fs';
import { type EncoderInput, loadModel, type ModelArtifacts } from '@samp/core';
import { listFixtureModels, readFixtureInputs } from '@samp/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createCpuBackend,
  loadCpuBinding,
  type NativeSessionSpec,
  readSessionSpec,
  resolvePrecisionSpec,
} from '../src/index';
import { measureCycles, settledRss, threadCount } from './memory-helpers';

/** Measured cycles (after warm-up) on the addon: 1,000 in CI, `SAMP_LEAK_CYCLES` for long runs. */
const CYCLES = Number(process.env.SAMP_LEAK_CYCLES ?? 1000);
/** Cycles through the public backend API, which also reads the weights each time (~6 ms): a twentieth. */
const BACKEND_CYCLES = Math.ceil(CYCLES / 20);
/** Sessions opened and dropped without dispose, left to the garbage collector. */
const DROPPED = Math.ceil(CYCLES / 10);
/** Warm-up cycles before the first sample: the allocator reaches its plateau within ~1,000 cycles. */
const WARMUP = Math.max(200, Math.ceil(CYCLES / 10));
/**
 * RSS growth allowed over the measured cycles, whatever their number. One leaked session of the
 * fixture is ~150 KB of packed weights plus its thread, so 1,000 leaked sessions would be ~150 MiB;
 * a leak of only the run's buffers (~14 KB a run) shows in the 10,000-cycle run.
 */
const GROWTH_BOUND_MIB = 16;

describe('cpu sessions: create / run / dispose cycles', () => {
  let model: ModelArtifacts;
  let input: EncoderInput;
  beforeAll(async () => {
    const fixture = listFixtureModels().find((f) => f.name === 'bert');
    if (fixture === undefined) throw new Error('no bert fixture');
    model = await loadModel(fixture.dir, { tokenizer: false });
    input = readFixtureInputs(fixture, model.config.padTokenId);
  });

  /** Checks that every FP32 cycle computes the same bytes: a cycle that ran on freed memory would not. */
  const sameAsFirst = () => {
    let first: Buffer | undefined;
    return (i: number, out: Float32Array) => {
      const bytes = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      first ??= Buffer.from(bytes);
      if (!bytes.equals(first)) throw new Error(`cycle ${i}: the output differs from the first cycle's`);
    };
  };

  it(`native sessions: RSS within ${GROWTH_BOUND_MIB} MiB over ${CYCLES} cycles`, {
    timeout: 900_000,
  }, async () => {
    // The addon alone, with the specs read once: session creation costs the native copy and packing only.
    const binding = loadCpuBinding();
    const specs = [
      await readSessionSpec(model, 2),
      await readSessionSpec(model, 2, resolvePrecisionSpec(model, { precision: 'int8' })),
    ];
    const check = sameAsFirst();
    const tokenTypeIds = input.tokenTypeIds ?? new Int32Array(input.inputIds.length);
    const threadsBefore = threadCount();
    const report = await measureCycles('native session create/run/dispose', CYCLES, WARMUP, async (i) => {
      const handle = await binding.createSession(specs[i % 2] as NativeSessionSpec);
      const out = await binding.runSession(
        handle,
        { ...input, tokenTypeIds },
        {
          outputHiddenStates: i % 8 === 0,
          computePadding: true,
          observe: i % 16 === 2 ? ['layers.1.attention.probs'] : [],
        },
      );
      if (i % 2 === 0) check(i, out.lastHiddenState);
      binding.disposeSession(handle);
    });
    expect(report.growthMiB, JSON.stringify(report)).toBeLessThanOrEqual(GROWTH_BOUND_MIB);
    expect(threadCount()).toBe(threadsBefore);
  });

  it(`backend sessions: RSS within ${GROWTH_BOUND_MIB} MiB over ${BACKEND_CYCLES} cycles`, {
    timeout: 900_000,
  }, async () => {
    // The public API end to end (weights read from the model each time, as an application does).
    const backend = createCpuBackend({ threads: 2 });
    const check = sameAsFirst();
    const threadsBefore = threadCount();
    const report = await measureCycles(
      'backend session create/run/dispose',
      BACKEND_CYCLES,
      Math.max(25, Math.ceil(BACKEND_CYCLES / 10)),
      async (i) => {
        const int8 = i % 2 === 1;
        const s = await backend.createSession(model, int8 ? { precision: 'int8' } : {});
        const out = await s.run(input);
        if (!int8) check(i, out.lastHiddenState);
        await s.dispose();
      },
    );
    expect(report.growthMiB, JSON.stringify(report)).toBeLessThanOrEqual(GROWTH_BOUND_MIB);
    expect(threadCount()).toBe(threadsBefore);
  });

  it(`sessions dropped without dispose are freed by the GC (${DROPPED} of them)`, {
    timeout: 900_000,
  }, async () => {
    const backend = createCpuBackend({ threads: 2 });
    await settledRss();
    const threadsBefore = threadCount();
    const rssBefore = process.memoryUsage().rss;
    let peakThreads = 0;
    // In a function of its own, so that no suspended frame of this test still holds the last session.
    const openRunDrop = async () => {
      const s = await backend.createSession(model);
      await s.run(input);
      peakThreads = Math.max(peakThreads, threadCount());
    };
    for (let i = 0; i < DROPPED; i++) await openRunDrop();
    const rssAfter = await settledRss();
    // Each live session has a pool thread: they all end once the GC has finalized the sessions.
    expect(peakThreads).toBeGreaterThan(threadsBefore);
    expect(threadCount()).toBe(threadsBefore);
    const report = {
      name: 'cpu sessions dropped without dispose',
      sessions: DROPPED,
      threadsBefore,
      peakThreads,
      rssGrowthMiB: Math.round(((rssAfter - rssBefore) / 2 ** 20) * 100) / 100,
    };
    const file = process.env.SAMP_LEAK_REPORT;
    if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify(report)}\n`);
  });

  it('control: the same measurement catches a leak of 128 KiB a cycle', async () => {
    const kept: Buffer[] = [];
    const report = await measureCycles('control: 128 KiB kept per cycle', 200, 10, async () => {
      kept.push(Buffer.alloc(128 * 1024, 1));
    });
    expect(report.growthMiB).toBeGreaterThan(GROWTH_BOUND_MIB);
    expect(kept.length).toBe(210);
  });
});
