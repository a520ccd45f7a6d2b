// Padding-free serving on the CPU: which backends the server hands its pipelines (the real CPU backend,
// configured to skip pad positions, only where the model would run on it), that they really skip
// (zeros at pad positions, the real positions equal to a padded run's), and the served model's option.
import { InvalidArgumentError, loadModel, type ModelArtifacts } from '@samp/core';
import { createCpuBackend } from '@samp/encoder-cpu-vnni';
import { describe, expect, it } from 'vitest';
import { openServedModel, paddingFreeBackends, resultJson } from '../src/serve';
import { readDev, TRAINED } from './support/dev-sets';

const BATCHING = { maxBatchSize: 8, batchWindowMs: 0, maxQueue: 64 };

/** An importer on which no CUDA package is installed (as on a machine without one). */
const withoutCuda = (specifier: string): Promise<unknown> =>
  specifier.startsWith('@samp/encoder-cuda')
    ? Promise.reject(
        Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' }),
      )
    : import(specifier);

/** Two TNEWS dev titles of different lengths as one padded batch (the shorter one padded). */
function paddedPair(model: ModelArtifacts) {
  const [a, b] = readDev(TRAINED.tnews, 2).map((l) => l.input_ids) as [number[], number[]];
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  const L = long.length;
  const inputIds = new Int32Array(2 * L);
  const attentionMask = new Int32Array(2 * L);
  inputIds.set(long, 0);
  attentionMask.fill(1, 0, L);
  inputIds.set(short, L);
  attentionMask.fill(1, L, L + short.length);
  expect(short.length).toBeLessThan(L);
  return { input: { inputIds, attentionMask, batchSize: 2, sequenceLength: L }, short: short.length, model };
}

describe('paddingFreeBackends', () => {
  it('gives a cpu backend that encodes only real tokens, the same as a padded run there', async () => {
    const backends = await paddingFreeBackends({ device: 'cpu' });
    expect(backends?.map((b) => [b.name, b.device])).toEqual([['cpu', 'cpu']]);
    const model = await loadModel(TRAINED.tnews);
    const { input, short } = paddedPair(model);
    const H = model.config.hiddenSize;
    const backend = backends?.[0];
    if (backend === undefined) throw new Error('no padding-free backend');
    await using skip = await backend.createSession(model, { threads: 1 });
    await using compute = await createCpuBackend().createSession(model, { threads: 1 });
    const skipped = (await skip.run(input)).lastHiddenState;
    const computed = (await compute.run(input)).lastHiddenState;
    const L = input.sequenceLength;
    // Row 1's pad positions: zeros when skipped, Hugging Face's values when computed.
    const pads = skipped.subarray((L + short) * H, 2 * L * H);
    expect(pads.every((x) => x === 0)).toBe(true);
    expect(computed.subarray((L + short) * H, 2 * L * H).some((x) => x !== 0)).toBe(true);
    // Every real position agrees.
    let worst = 0;
    for (let row = 0; row < 2; row++)
      for (let t = 0; t < (row === 0 ? L : short); t++)
        for (let h = 0; h < H; h++) {
          const i = (row * L + t) * H + h;
          worst = Math.max(worst, Math.abs((skipped[i] as number) - (computed[i] as number)));
        }
    expect(worst).toBeLessThan(1e-4);
  });

  it('picks the cpu backend for auto only when auto runs on the CPU', async () => {
    const auto = await paddingFreeBackends({ device: 'auto', importer: withoutCuda });
    expect(auto?.map((b) => b.name)).toEqual(['cpu']);
    // No CPU package either: the pipeline is left to report it.
    const none = await paddingFreeBackends({
      device: 'auto',
      importer: (s) =>
        s.startsWith('@samp/encoder-cpu-vnni') ? Promise.reject(new Error('boom')) : withoutCuda(s),
    });
    expect(none).toBeUndefined();
  });

  it('leaves CUDA and injected backends alone', async () => {
    expect(await paddingFreeBackends({ device: 'cuda' })).toBeUndefined();
    const mine = [createCpuBackend()];
    expect(await paddingFreeBackends({ device: 'cpu', backends: mine })).toBeUndefined();
  });
});

describe('openServedModel padPositions', () => {
  it('runs padding-free by default, computes pad positions on request, and refuses anything else', async () => {
    const skip = await openServedModel(
      { name: 'tnews', model: TRAINED.tnews, device: 'cpu', threads: 1 },
      BATCHING,
    );
    const compute = await openServedModel(
      { name: 'tnews', model: TRAINED.tnews, device: 'cpu', threads: 1, padPositions: 'compute' },
      BATCHING,
    );
    try {
      expect([skip.padPositions, compute.padPositions]).toEqual(['skip', 'compute']);
      const titles = readDev(TRAINED.tnews, 8).map((l) => ({ text: l.text }));
      const [a, b] = await Promise.all([skip.batcher.submit(titles), compute.batcher.submit(titles)]);
      a.forEach((r, i) => {
        const x = resultJson(r) as { label_id: number; logits: number[] };
        const y = resultJson(b[i] as typeof r) as typeof x;
        expect(x.label_id).toBe(y.label_id);
        x.logits.forEach((v, k) => {
          expect(Math.abs(v - (y.logits[k] as number))).toBeLessThan(1e-4);
        });
      });
    } finally {
      await Promise.all([skip.close(), compute.close()]);
    }
    await expect(
      openServedModel(
        // @ts-expect-error: a value the type does not allow, as from untyped JSON config
        { name: 'tnews', model: TRAINED.tnews, device: 'cpu', padPositions: 'none' },
        BATCHING,
      ),
    ).rejects.toThrow(InvalidArgumentError);
  });
});
