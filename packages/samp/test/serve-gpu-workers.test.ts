// Several workers on a machine with several GPUs: the server spreads a model's workers over the GPUs
// (worker w on GPU w mod count). The GPUs here are stand-ins: a CUDA package whose probe reports two
// devices and whose backends run on the real CPU backend while recording the device index each
// session was opened on, so the mapping and the served answers are both checked.
import type { EncoderBackendV1 } from '@samp/core';
import { createCpuBackend } from '@samp/encoder-cpu-vnni';
import { describe, expect, it } from 'vitest';
import { openServedModel } from '../src/serve';
import { gpuWorkerBackends } from '../src/serve/gpu-workers';
import { readDev, TRAINED } from './support/dev-sets';

function fakeCudaPackage(gpus: number, opened: number[]) {
  return {
    probeCuda: async () => ({
      available: gpus > 0,
      devices: Array.from({ length: gpus }, (_, i) => ({ i })),
    }),
    createCudaBackend: ({ deviceIndex }: { deviceIndex: number }): EncoderBackendV1 => {
      const cpu = createCpuBackend();
      return {
        ...cpu,
        name: 'cuda',
        device: 'cuda',
        createSession: (model, options) => {
          opened.push(deviceIndex);
          return cpu.createSession(model, { ...options, threads: 1 });
        },
      };
    },
  };
}

const importerWith = (pkg: unknown) => (specifier: string) =>
  specifier.startsWith('@samp/encoder-cuda') ? Promise.resolve(pkg) : import(specifier);

describe('GPU workers', () => {
  it('spreads 4 workers over 2 GPUs and serves the same answers as one worker', async () => {
    const opened: number[] = [];
    const batching = { maxBatchSize: 8, batchWindowMs: 0, maxQueue: 64 };
    const importer = importerWith(fakeCudaPackage(2, opened));
    const spread = await openServedModel(
      { name: 'tnews', model: TRAINED.tnews, device: 'cuda', workers: 4, importer },
      batching,
    );
    const single = await openServedModel(
      { name: 'one', model: TRAINED.tnews, device: 'cpu', threads: 1 },
      batching,
    );
    try {
      expect([...opened].sort()).toEqual([0, 0, 1, 1]);
      expect(spread.backend).toBe('cuda');
      const titles = readDev(TRAINED.tnews, 24).map((l) => ({ text: l.text }));
      const [a, b] = await Promise.all([spread.batcher.submit(titles), single.batcher.submit(titles)]);
      expect(a.map((r) => (r as { label: string }).label)).toEqual(
        b.map((r) => (r as { label: string }).label),
      );
    } finally {
      await spread.close();
      await single.close();
    }
  });

  it('leaves one GPU, one worker, other devices and injected backends to the pipeline', async () => {
    const opened: number[] = [];
    expect(
      await gpuWorkerBackends({ device: 'cuda', importer: importerWith(fakeCudaPackage(1, opened)) }, 4),
    ).toBe(undefined);
    expect(
      await gpuWorkerBackends({ device: 'cuda', importer: importerWith(fakeCudaPackage(2, opened)) }, 1),
    ).toBe(undefined);
    expect(
      await gpuWorkerBackends({ device: 'cpu', importer: importerWith(fakeCudaPackage(2, opened)) }, 4),
    ).toBe(undefined);
    expect(
      await gpuWorkerBackends(
        {
          device: 'cuda',
          backends: [createCpuBackend()],
          importer: importerWith(fakeCudaPackage(2, opened)),
        },
        4,
      ),
    ).toBe(undefined);
    const perWorker = await gpuWorkerBackends(
      { device: 'auto', importer: importerWith(fakeCudaPackage(3, opened)) },
      4,
    );
    expect(perWorker).toHaveLength(4);
    expect(opened).toEqual([]);
  });
});
