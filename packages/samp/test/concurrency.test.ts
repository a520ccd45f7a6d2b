// Concurrency of one pipeline (issue 12): 200 calls (single texts and small arrays) started at once from
// many async contexts give exactly what the same calls give one after another, on the trained TNEWS
// demo model at INT8 and on the golden pair-classification fixture at FP32 (the session-level test,
// packages/encoder-cpu-vnni/test/concurrency.test.ts, covers both precisions on both); dispose while calls are in
// flight lets them finish, double dispose frees the session once, and later calls get a typed error.
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { type EncoderBackendV1, SessionDisposedError } from '@samp/core';
import { fixturesDir } from '@samp/core/testing';
import { createCpuBackend } from '@samp/encoder-cpu-vnni';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Pipeline, type PipelineInput, type PipelineOptions, pipeline } from '../src/index';
import { readDev, TRAINED } from './support/dev-sets';

const CALLS = 200;

/** The CPU backend, counting session disposals. */
function countingCpu(): { backend: EncoderBackendV1; disposed: () => number } {
  const cpu = createCpuBackend({ threads: 1 });
  let disposed = 0;
  return {
    disposed: () => disposed,
    backend: {
      ...cpu,
      name: 'counting-cpu',
      async createSession(model, options) {
        const inner = await cpu.createSession(model, options);
        const dispose = inner.dispose.bind(inner);
        return Object.assign(inner, {
          dispose: async () => {
            disposed++;
            await dispose();
          },
        });
      },
    },
  };
}

/** Call `i`'s input: a text (or pair) for most calls, an array of three for every third. */
function callInput(texts: readonly PipelineInput[], i: number): PipelineInput | PipelineInput[] {
  const at = (k: number) => texts[k % texts.length] as PipelineInput;
  return i % 3 === 0 ? [at(i), at(i + 1), at(i + 2)] : at(i);
}

const LAUNCHERS: readonly ((start: () => void) => void)[] = [
  (start) => start(),
  (start) => queueMicrotask(start),
  (start) => process.nextTick(start),
  (start) => setImmediate(start),
  (start) => setTimeout(start, 0),
  (start) => setTimeout(start, 1),
];

/** Starts every call at once, each from its own async origin and AsyncLocalStorage context. */
function launchAll(
  count: number,
  run: (i: number) => Promise<unknown>,
): Promise<PromiseSettledResult<unknown>>[] {
  const storage = new AsyncLocalStorage<number>();
  return Array.from(
    { length: count },
    (_, i) =>
      new Promise<PromiseSettledResult<unknown>>((settle) => {
        storage.run(i, () =>
          (LAUNCHERS[i % LAUNCHERS.length] as (start: () => void) => void)(() => {
            run(i).then(
              (value) =>
                settle(
                  storage.getStore() === i
                    ? { status: 'fulfilled', value }
                    : { status: 'rejected', reason: new Error(`call ${i} lost its async context`) },
                ),
              (reason: unknown) => settle({ status: 'rejected', reason }),
            );
          }),
        );
      }),
  );
}

interface Case {
  name: string;
  options: Omit<PipelineOptions, 'backends'>;
  texts: () => PipelineInput[];
}

const CASES: Case[] = [
  {
    name: 'TNEWS demo model, INT8',
    options: { model: TRAINED.tnews, precision: 'int8' },
    texts: () => readDev(TRAINED.tnews, 60).map((l) => l.text),
  },
  {
    name: 'bert-seq-cls fixture, text pairs',
    options: { model: join(fixturesDir, 'bert-seq-cls') },
    texts: () =>
      Array.from({ length: 40 }, (_, i) => ({
        text: `sentence number ${i} is here`,
        text_pair: i % 2 === 0 ? 'and its pair' : `a longer pair for number ${i} with more words`,
      })),
  },
];

describe.each(CASES.map((c) => [c.name, c] as const))('pipeline, %s', (_name, c) => {
  let texts: PipelineInput[];
  let sequential: unknown[];
  const open = (backend: EncoderBackendV1): Promise<Pipeline> =>
    pipeline('classification', { ...c.options, backends: [backend] });

  beforeAll(async () => {
    texts = c.texts();
    await using classify = await open(createCpuBackend({ threads: 1 }));
    sequential = [];
    for (let i = 0; i < CALLS; i++) sequential.push(await classify(callInput(texts, i) as PipelineInput));
  });

  it(`${CALLS} concurrent calls give exactly the sequential results`, async () => {
    await using classify = await open(createCpuBackend({ threads: 1 }));
    const settled = await Promise.all(
      launchAll(CALLS, (i) => classify(callInput(texts, i) as PipelineInput)),
    );
    settled.forEach((r, i) => {
      if (r.status === 'rejected') throw r.reason;
      expect(r.value, `call ${i}`).toEqual(sequential[i]);
    });
  });

  it('dispose with calls in flight: they all finish, the session is freed once, later calls are refused', async () => {
    const { backend, disposed } = countingCpu();
    const classify = await open(backend);
    const calls = launchAll(CALLS, (i) => classify(callInput(texts, i) as PipelineInput));
    // Dispose twice at once while the calls run (the direct ones have started; the timer ones have not,
    // and are refused with a typed error).
    await new Promise((r) => setImmediate(r));
    const disposal = Promise.all([classify.dispose(), classify.dispose()]);
    const settled = await Promise.all(calls);
    await disposal;
    let fulfilled = 0;
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        fulfilled++;
        expect(r.value, `call ${i}`).toEqual(sequential[i]);
      } else expect(r.reason, `call ${i}`).toBeInstanceOf(SessionDisposedError);
    });
    expect(fulfilled).toBeGreaterThan(0);
    expect(fulfilled).toBeLessThan(CALLS);
    expect(disposed()).toBe(1);
    await classify.dispose();
    expect(disposed()).toBe(1);
    await expect(classify('late')).rejects.toMatchObject({ code: 'SAMP_SESSION_DISPOSED' });
  });
});
