// Concurrency of one cpu session (issue 12): 200 calls started at once from many async contexts
// (microtasks, nextTick, setImmediate, timers, each inside its own AsyncLocalStorage context) give
// exactly the bytes of the same calls made one after another, on a golden fixture and on the trained
// TNEWS model, FP32 and with a mixed INT8 plan (static scales); dispose while calls are in flight or
// inside the native code is safe; double dispose is a no-op; a disposed session refuses with a
// typed error.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type EncoderInput,
  type EncoderOutput,
  type EncoderSession,
  type EncoderSessionOptions,
  loadModel,
  type ModelArtifacts,
  maxSequenceLength,
  type PrecisionPlan,
  SampError,
  SessionDisposedError,
  uniformPlan,
} from '@samp/core';
import { listFixtureModels } from '@samp/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../src/index';
import { calibrateMax } from './int8-helpers';
import { TNEWS_DIR } from './tnews-helpers';

const CALLS = 200;
const backend = createCpuBackend({ threads: 2 });

/** A deterministic pseudo-random generator (mulberry32), so every run tests the same batches. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` right-padded batches of 1 to 4 rows, 1 to `maxLength` tokens each, random ids and types. */
function randomBatches(
  model: ModelArtifacts,
  count: number,
  maxLength: number,
  seed: number,
): EncoderInput[] {
  const next = random(seed);
  const { vocabSize, typeVocabSize, padTokenId } = model.config;
  const limit = Math.min(maxLength, maxSequenceLength(model.config));
  return Array.from({ length: count }, () => {
    const rows = 1 + Math.floor(next() * 4);
    const lengths = Array.from({ length: rows }, () => 1 + Math.floor(next() * limit));
    const seq = Math.max(...lengths);
    const input: EncoderInput = {
      inputIds: new Int32Array(rows * seq).fill(padTokenId),
      attentionMask: new Int32Array(rows * seq),
      batchSize: rows,
      sequenceLength: seq,
    };
    if (typeVocabSize > 1) input.tokenTypeIds = new Int32Array(rows * seq);
    lengths.forEach((length, r) => {
      for (let j = 0; j < length; j++) {
        input.inputIds[r * seq + j] = Math.floor(next() * vocabSize);
        input.attentionMask[r * seq + j] = 1;
        if (input.tokenTypeIds !== undefined && j >= length / 2) input.tokenTypeIds[r * seq + j] = 1;
      }
    });
    return input;
  });
}

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Whether two outputs hold exactly the same bits. */
function sameOutput(a: EncoderOutput, b: EncoderOutput): boolean {
  return a.batchSize === b.batchSize && bytesOf(a.lastHiddenState).equals(bytesOf(b.lastHiddenState));
}

/** The ways a call is started here: each gives the call a different async origin. */
const LAUNCHERS: readonly ((start: () => void) => void)[] = [
  (start) => start(),
  (start) => queueMicrotask(start),
  (start) => process.nextTick(start),
  (start) => setImmediate(start),
  (start) => setTimeout(start, 0),
  (start) => setTimeout(start, 2),
];

/**
 * Starts `run(i)` for every input at once, each from launcher `i % 6` inside its own AsyncLocalStorage
 * context, and checks that the context is still its own after the native call returns.
 */
function launchAll<T>(count: number, run: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>>[] {
  const storage = new AsyncLocalStorage<{ call: number }>();
  return Array.from(
    { length: count },
    (_, i) =>
      new Promise<PromiseSettledResult<T>>((settle) => {
        storage.run({ call: i }, () => {
          (LAUNCHERS[i % LAUNCHERS.length] as (start: () => void) => void)(() => {
            run(i).then(
              (value) => {
                if (storage.getStore()?.call !== i)
                  settle({ status: 'rejected', reason: new Error(`call ${i} lost its async context`) });
                else settle({ status: 'fulfilled', value });
              },
              (reason: unknown) => settle({ status: 'rejected', reason }),
            );
          });
        });
      }),
  );
}

function mixedPlan(model: ModelArtifacts): PrecisionPlan {
  const cycle = ['int8-full', 'int8-ffn', 'fp32'] as const;
  return {
    ...uniformPlan(model, 'fp32', { device: 'cpu' }),
    layers: Array.from({ length: model.config.numHiddenLayers }, (_, i) => ({
      precision: cycle[i % 3] ?? 'fp32',
    })),
  };
}

interface Case {
  name: string;
  load: () => Promise<ModelArtifacts>;
  maxLength: number;
  int8: boolean;
}

/** Each model folder is loaded once for the whole file (the TNEWS model serves three describes). */
const loaded = new Map<string, Promise<ModelArtifacts>>();
const load = (dir: string): Promise<ModelArtifacts> => {
  let model = loaded.get(dir);
  if (model === undefined) {
    model = loadModel(dir, { tokenizer: false });
    loaded.set(dir, model);
  }
  return model;
};

const fixtureDir = (name: string): string => {
  const f = listFixtureModels().find((x) => x.name === name);
  if (f === undefined) throw new Error(`no fixture ${name}`);
  return f.dir;
};

const CASES: Case[] = [
  {
    name: 'bert fixture, FP32',
    load: () => load(fixtureDir('bert')),
    maxLength: 64,
    int8: false,
  },
  {
    name: 'roberta fixture, mixed INT8 plan',
    load: () => load(fixtureDir('roberta-seq-cls')),
    maxLength: 62,
    int8: true,
  },
  { name: 'TNEWS, FP32', load: () => load(TNEWS_DIR), maxLength: 12, int8: false },
  {
    name: 'TNEWS, mixed INT8 plan',
    load: () => load(TNEWS_DIR),
    maxLength: 12,
    int8: true,
  },
];

describe.each(CASES.map((c) => [c.name, c] as const))('%s: one session, many callers', (_name, c) => {
  let model: ModelArtifacts;
  let options: EncoderSessionOptions;
  let inputs: EncoderInput[];
  let sequential: EncoderOutput[];

  /** Opens a session of this case (FP32, or the mixed plan with max-calibrated static scales). */
  const open = (): Promise<EncoderSession> => backend.createSession(model, options);

  beforeAll(async () => {
    model = await c.load();
    inputs = randomBatches(model, CALLS, c.maxLength, 20240601);
    options = {};
    if (c.int8) {
      await using fp32 = await backend.createSession(model);
      const profile = await calibrateMax(model, fp32, inputs.slice(0, 16));
      options = { plan: mixedPlan(model), profile };
    }
    await using s = await open();
    sequential = [];
    for (const input of inputs) sequential.push(await s.run(input));
  });

  it(`${CALLS} concurrent calls give exactly the sequential results`, async () => {
    await using s = await open();
    const settled = await Promise.all(launchAll(CALLS, (i) => s.run(inputs[i] as EncoderInput)));
    settled.forEach((r, i) => {
      if (r.status === 'rejected') throw r.reason;
      expect(sameOutput(r.value, sequential[i] as EncoderOutput), `call ${i}`).toBe(true);
    });
    // The session is still usable, and gives the same bytes again.
    expect(sameOutput(await s.run(inputs[7] as EncoderInput), sequential[7] as EncoderOutput)).toBe(true);
  });

  it('dispose while calls are in flight: each call succeeds exactly or is refused with SessionDisposedError', async () => {
    const s = await open();
    let done = 0;
    let disposal: Promise<void> | undefined;
    const settled = await Promise.all(
      launchAll(CALLS, async (i) => {
        const out = await s.run(inputs[i] as EncoderInput);
        // Dispose (twice, concurrently) once a tenth of the calls have finished.
        if (++done === CALLS / 10) disposal = Promise.all([s.dispose(), s.dispose()]).then(() => {});
        return out;
      }),
    );
    await disposal;
    let fulfilled = 0;
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        fulfilled++;
        expect(sameOutput(r.value, sequential[i] as EncoderOutput), `call ${i}`).toBe(true);
      } else {
        expect(r.reason, `call ${i}`).toBeInstanceOf(SessionDisposedError);
      }
    });
    expect(fulfilled).toBeGreaterThanOrEqual(CALLS / 10);
    expect(fulfilled).toBeLessThan(CALLS);
    await expect(s.run(inputs[0] as EncoderInput)).rejects.toMatchObject({ code: 'SAMP_SESSION_DISPOSED' });
    await s.dispose();
  });
});

describe('dispose semantics of a cpu session', () => {
  let model: ModelArtifacts;
  let big: EncoderInput;
  beforeAll(async () => {
    model = await load(TNEWS_DIR);
    // 8 rows of the full 128 positions: a run of tens of milliseconds, long enough to dispose inside it.
    const rows = 8;
    const seq = maxSequenceLength(model.config);
    big = {
      inputIds: new Int32Array(rows * seq).map((_, k) => 1 + ((k * 7919) % (model.config.vocabSize - 1))),
      attentionMask: new Int32Array(rows * seq).fill(1),
      batchSize: rows,
      sequenceLength: seq,
    };
  });

  it('a run already inside the native code finishes with the right values after dispose', async () => {
    let reference: EncoderOutput;
    {
      await using s = await backend.createSession(model);
      reference = await s.run(big);
    }
    const s = await backend.createSession(model);
    const running = s.run(big);
    // Let the job reach the worker thread (the queue hands it over after a microtask or two).
    await new Promise((r) => setImmediate(r));
    await s.dispose();
    const out = await running;
    expect(sameOutput(out, reference)).toBe(true);
    // The weights are freed with the last run's reference: give the GC a chance, then check nothing broke.
    (globalThis as { gc?: () => void }).gc?.();
    await expect(s.run(big)).rejects.toBeInstanceOf(SessionDisposedError);
  });

  it('double dispose is a no-op, before and after await; `await using` after dispose too', async () => {
    const s = await backend.createSession(model);
    const a = s.dispose();
    const b = s.dispose();
    await Promise.all([a, b]);
    await s.dispose();
    await s[Symbol.asyncDispose]();
    {
      await using again = s;
      expect(again).toBe(s);
    }
    const error = await s.run(big).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(SampError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(SessionDisposedError);
    expect((error as SampError).code).toBe('SAMP_SESSION_DISPOSED');
    // Bad input on a disposed session: the disposal is reported first, not the input.
    await expect(
      s.run({ ...big, batchSize: 0 } as EncoderInput).catch((e: SampError) => e.code),
    ).resolves.toBe('SAMP_SESSION_DISPOSED');
  });
});
