// pipeline() on the tiny golden fixtures with the real CPU backend: Hugging Face logits, input order,
// truncation, disposal, backend choice (explicit devices never fall back, 'auto' says why it skipped),
// and the typed errors for inputs and models that do not fit the task.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BackendProbe,
  type EncoderBackendV1,
  type EncoderSession,
  GpuUnavailableError,
  InvalidArgumentError,
  NoBackendAvailableError,
  SessionDisposedError,
} from '@samp/core';
import { fixturesDir, relativeError } from '@samp/core/testing';
import { createCpuBackend } from '@samp/encoder-cpu-vnni';
import { describe, expect, it } from 'vitest';
import { pipeline, planBatches, selectBackend, TaskNotSupportedError } from '../src/index';

const SEQ_CLS = join(fixturesDir, 'bert-seq-cls');
const TOKEN_CLS = join(fixturesDir, 'bert-token-cls');
const BASE = join(fixturesDir, 'bert');

interface GoldenText {
  text: string;
  text_pair?: string;
  input_ids: number[];
  logits: number[];
}
const golden: GoldenText[] = readFileSync(join(SEQ_CLS, 'texts.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));
const inputOf = (g: GoldenText) =>
  g.text_pair === undefined ? g.text : { text: g.text, text_pair: g.text_pair };

const cpu = createCpuBackend({ threads: 1 });

/** A backend whose probe says it cannot run, with `reason`. */
function unavailable(name: string, device: string, reason: string): EncoderBackendV1 {
  return {
    specificationVersion: 'v1',
    name,
    device,
    probe: async (): Promise<BackendProbe> => ({ status: 'unavailable', reason, details: {} }),
    createSession: async () => {
      throw new Error(`${name} must not be asked for a session`);
    },
  };
}

/** The CPU backend, counting the sessions it opens and disposes. */
function countingCpu() {
  const counts = { opened: 0, disposed: 0, runs: 0 };
  const backend: EncoderBackendV1 = {
    specificationVersion: 'v1',
    name: 'counting-cpu',
    device: 'cpu',
    probe: () => cpu.probe(),
    async createSession(model, options) {
      const inner = await cpu.createSession(model, options);
      counts.opened++;
      const session: EncoderSession = {
        model: inner.model,
        precision: inner.precision,
        plan: inner.plan,
        run: (input, o) => {
          counts.runs++;
          return inner.run(input, o);
        },
        dispose: async () => {
          counts.disposed++;
          await inner.dispose();
        },
        [Symbol.asyncDispose]: () => session.dispose(),
      };
      return session;
    },
  };
  return { backend, counts };
}

describe('pipeline()', () => {
  it('classifies the golden texts (a pair included) as Hugging Face does, within 1e-4', async () => {
    await using classify = await pipeline('classification', { model: SEQ_CLS, device: 'cpu', threads: 1 });
    expect(classify.task).toBe('classification');
    expect(classify.backend.name).toBe('cpu');
    const results = await classify(golden.map(inputOf));
    expect(results).toHaveLength(golden.length);
    results.forEach((r, i) => {
      const g = golden[i] as GoldenText;
      expect(relativeError(r.logits, g.logits), g.text).toBeLessThanOrEqual(1e-4);
      const best = g.logits.indexOf(Math.max(...g.logits));
      expect(r.labelId).toBe(best);
      expect(r.label).toBe(['negative', 'neutral', 'positive'][best]);
      expect(r.score).toBeCloseTo(Math.max(...r.scores), 12);
    });
    // One input in, one result out.
    const one = await classify(inputOf(golden[1] as GoldenText));
    expect(relativeError(one.logits, (golden[1] as GoldenText).logits)).toBeLessThanOrEqual(1e-4);
  });

  it('restores input order whatever the lengths and the batching', async () => {
    const order = [3, 0, 2, 2, 1, 0, 3, 1, 2, 0, 1, 3, 1];
    await using classify = await pipeline('classification', {
      model: SEQ_CLS,
      device: 'cpu',
      batchSize: 3,
      threads: 1,
    });
    const results = await classify(order.map((k) => inputOf(golden[k] as GoldenText)));
    results.forEach((r, i) => {
      const g = golden[order[i] as number] as GoldenText;
      expect(relativeError(r.logits, g.logits), `input ${i}`).toBeLessThanOrEqual(1e-4);
    });
    expect(await classify([])).toEqual([]);
  });

  it('plans batches longest first, ties in input order, rows of one input together', () => {
    expect(planBatches([[3], [9], [5], [9], [1]], 2)).toEqual([[1, 3], [2, 0], [4]]);
    expect(
      planBatches(
        [
          [2, 7],
          [5, 5],
          [8, 1],
        ],
        2,
      ),
    ).toEqual([[2, 0], [1]]);
    expect(planBatches([], 4)).toEqual([]);
  });

  it('truncates long inputs longest_first instead of failing', async () => {
    await using features = await pipeline('feature-extraction', { model: BASE, device: 'cpu', maxLength: 8 });
    expect(features.maxLength).toBe(8);
    const long = 'this movie was really good '.repeat(40);
    const [row, pair] = await features([long, { text: long, text_pair: 'a short one' }]);
    expect(row?.shape).toEqual([8, 32]);
    expect(pair?.shape).toEqual([8, 32]);
    // Without the option: the model's 64 positions (its tokenizer sets no smaller limit).
    await using full = await pipeline('feature-extraction', { model: BASE, device: 'cpu' });
    expect(full.maxLength).toBe(64);
    expect((await full(long)).shape).toEqual([64, 32]);
    await expect(
      pipeline('feature-extraction', { model: BASE, device: 'cpu', maxLength: 65 }),
    ).rejects.toThrow(/maxLength: 65 is more than .* accepts \(64 positions/);
  });

  it('pools features and matches text pairs with a bi-encoder over them', async () => {
    await using features = await pipeline('feature-extraction', {
      model: BASE,
      device: 'cpu',
      headOptions: { pooling: 'mean', normalize: true },
    });
    const [a, b] = await features(['this movie was really good', 'the music terrible']);
    const cos = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * (y[i] as number), 0);
    await using match = await pipeline('text-matching', { model: BASE, device: 'cpu' });
    const [m] = await match([{ text: 'this movie was really good', text_pair: 'the music terrible' }]);
    expect(m?.score).toBeCloseTo(cos(a?.data as Float32Array, b?.data as Float32Array), 5);
    expect(a?.shape).toEqual([32]);
  });

  it("picks the task from config.architectures with 'auto'", async () => {
    for (const [dir, task] of [
      [SEQ_CLS, 'classification'],
      [TOKEN_CLS, 'token-classification'],
      [BASE, 'feature-extraction'],
    ] as const) {
      await using p = await pipeline('auto', { model: dir, device: 'cpu' });
      expect(p.task).toBe(task);
    }
    await using ner = await pipeline('auto', { model: TOKEN_CLS, device: 'cpu' });
    const text = 'Anna lives in Paris, 我们都爱看这个电影';
    const [row] = (await ner([text])) as { entities: { start: number; end: number; text: string }[] }[];
    for (const e of row?.entities ?? []) expect(text.slice(e.start, e.end)).toBe(e.text);
  });

  it('refuses a model without a head for the task, naming the task and the architectures', async () => {
    const error = await pipeline('classification', { model: TOKEN_CLS, device: 'cpu' }).catch((e) => e);
    expect(error).toBeInstanceOf(TaskNotSupportedError);
    expect(error.code).toBe('SAMP_TASK_UNSUPPORTED');
    expect(error.message).toMatch(/architectures: BertForTokenClassification.*"classification"/);
    await expect(pipeline('token-classification', { model: BASE, device: 'cpu' })).rejects.toThrow(
      /architectures: BertModel\) cannot serve the task "token-classification"/,
    );
    await expect(pipeline('summarization', { model: BASE, device: 'cpu' })).rejects.toThrow(
      /task: expected auto or one of classification/,
    );
  });

  it('refuses text pairs for token classification and single texts for text matching', async () => {
    await using ner = await pipeline('token-classification', { model: TOKEN_CLS, device: 'cpu' });
    await expect(ner([{ text: 'Anna', text_pair: 'Paris' }])).rejects.toThrow(
      /inputs\[0\]\.text_pair: token-classification .* takes single texts/,
    );
    await expect(ner([42 as unknown as string])).rejects.toBeInstanceOf(InvalidArgumentError);
    await using match = await pipeline('text-matching', { model: SEQ_CLS, device: 'cpu' });
    await expect(match(['a', { text: 'b' }])).rejects.toThrow(
      /inputs\[0\]\.text_pair: text-matching takes text pairs/,
    );
    // A cross-encoder (sequence classifier) matches a pair as one input: the classifier's own logits.
    const pair = golden[3] as GoldenText;
    const [m] = (await match([inputOf(pair) as { text: string; text_pair: string }])) as {
      logits: number[];
    }[];
    expect(relativeError(m?.logits ?? [], pair.logits)).toBeLessThanOrEqual(1e-4);
  });

  it('disposes the session once, waits for calls in flight, and refuses calls afterwards', async () => {
    const { backend, counts } = countingCpu();
    {
      await using classify = await pipeline('classification', { model: SEQ_CLS, backends: [backend] });
      expect(counts.opened).toBe(1);
      const inFlight = classify(golden.map(inputOf));
      const disposed = classify.dispose();
      await expect(classify(['late'])).rejects.toBeInstanceOf(SessionDisposedError);
      expect(await inFlight).toHaveLength(golden.length);
      await disposed;
      expect(counts.disposed).toBe(1);
      await classify.dispose();
    }
    // `await using` disposed it again at the end of the block: still one session disposal.
    expect(counts.disposed).toBe(1);
    // A model that cannot serve the task is refused before any session opens.
    await expect(pipeline('classification', { model: TOKEN_CLS, backends: [backend] })).rejects.toThrow(
      TaskNotSupportedError,
    );
    expect(counts.opened).toBe(1);
    // A head that fails while the session opens (a bad head option) gets the session freed.
    await expect(
      pipeline('classification', { model: SEQ_CLS, backends: [backend], headOptions: { threshold: 5 } }),
    ).rejects.toThrow(/threshold: expected a number in \[0, 1\], got 5/);
    expect(counts).toMatchObject({ opened: 2, disposed: 2 });
  });
});

describe('backend choice', () => {
  const noGpu = unavailable('fake-cuda', 'cuda', 'no CUDA driver on this machine');

  it('never falls back from an explicitly named device', async () => {
    const error = await pipeline('classification', {
      model: SEQ_CLS,
      device: 'cuda',
      backends: [noGpu, cpu],
    }).catch((e) => e);
    expect(error).toBeInstanceOf(GpuUnavailableError);
    expect(error.message).toMatch(/no usable GPU: unavailable: no CUDA driver on this machine/);
    const noCpu = unavailable('fake-cpu', 'cpu', 'this CPU lacks avx2');
    const cpuError = await pipeline('classification', {
      model: SEQ_CLS,
      device: 'cpu',
      backends: [noCpu, { ...cpu, name: 'gpu-ok', device: 'cuda' }],
    }).catch((e) => e);
    expect(cpuError).toBeInstanceOf(NoBackendAvailableError);
    expect(cpuError.reasons).toEqual([{ backend: 'fake-cpu', reason: 'unavailable: this CPU lacks avx2' }]);
    await expect(selectBackend('cpu', { backends: [noGpu] })).rejects.toThrow(
      /no injected backend runs on "cpu" \(injected: fake-cuda \(cuda\)\)/,
    );
  });

  it("'auto' tries CUDA first, then the CPU, and logs why it skipped each", async () => {
    const messages: string[] = [];
    const logger = {
      info: (m: string) => messages.push(`info ${m}`),
      debug: (m: string) => messages.push(`debug ${m}`),
    };
    // Given CPU first: 'auto' still tries the CUDA backend first.
    await using classify = await pipeline('classification', {
      model: SEQ_CLS,
      backends: [cpu, noGpu],
      logger,
    });
    expect(classify.backend.name).toBe('cpu');
    expect(classify.skippedBackends).toEqual([
      { backend: 'fake-cuda', reason: 'unavailable: no CUDA driver on this machine' },
    ]);
    expect(messages[0]).toBe(
      'info samp: skipped the fake-cuda backend: unavailable: no CUDA driver on this machine',
    );
    expect(messages[1]).toMatch(/^debug samp: running on the cpu backend \(cpu\) after skipping fake-cuda/);
    const [r] = await classify([golden[0]?.text as string]);
    expect(relativeError(r?.logits ?? [], golden[0]?.logits ?? [])).toBeLessThanOrEqual(1e-4);
  });

  it('finds the installed backend packages at run time', async () => {
    const messages: string[] = [];
    const selected = await selectBackend('auto', { logger: { info: (m) => messages.push(m) } });
    if (selected.backend.device === 'cuda') {
      // A GPU machine with the CUDA backend: nothing skipped, nothing logged.
      expect(selected.skipped).toEqual([]);
      expect(messages).toEqual([]);
      return;
    }
    expect(selected.backend.device).toBe('cpu');
    expect(selected.skipped.map((s) => s.backend)).toEqual(['cuda']);
    expect(messages).toEqual([`samp: skipped the cuda backend: ${selected.skipped[0]?.reason}`]);
    // The CUDA package cannot run here (no encoder yet, or no GPU): a named 'cuda' says so, typed.
    await expect(selectBackend('cuda')).rejects.toBeInstanceOf(GpuUnavailableError);
  });

  it('says when a backend package is not installed', async () => {
    const importer = async (specifier: string) => {
      throw Object.assign(new Error(`Cannot find package '${specifier}' imported from /x.js`), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    };
    const error = await selectBackend('auto', { importer }).catch((e) => e);
    expect(error).toBeInstanceOf(NoBackendAvailableError);
    expect(error.reasons).toEqual([
      { backend: 'cuda', reason: '@samp/encoder-cuda is not installed' },
      { backend: 'cpu', reason: '@samp/encoder-cpu-vnni is not installed' },
    ]);
    await expect(selectBackend([] as unknown as 'auto')).rejects.toThrow(/device: expected 'auto'/);
  });
});
