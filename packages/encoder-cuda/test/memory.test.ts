// Memory reports of the cuda backend: a session's `memoryUsage()` (its weights, and its run workspace,
// which grows with the batch) and the backend's `deviceMemory()` (cudaMemGetInfo), whose used bytes
// must grow by about the weights when a session opens. Without a driver `deviceMemory` must reject with
// GpuUnavailableError, as the probe reports it; nothing is skipped.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EncoderInput, loadModel } from '@samp/core';
import { describe, expect, it } from 'vitest';
import { type CudaEncoderSession, createCudaBackend, probeCuda } from '../src/index';
import { hasDriver } from './gpu-gate';

// The trained TNEWS model: ~35 MB of FP32 weights, large enough to stand out from allocation rounding.
const modelDir = join(dirname(fileURLToPath(import.meta.url)), '../../model-tnews-zh-small/model');
const MiB = 2 ** 20;

/** `rows` rows of `length` tokens ([CLS] and ids from the vocabulary), no padding. */
function batch(rows: number, length: number): EncoderInput {
  const inputIds = new Int32Array(rows * length);
  for (let i = 0; i < inputIds.length; i++) inputIds[i] = i % length === 0 ? 101 : 670 + (i % 5000);
  return {
    inputIds,
    attentionMask: new Int32Array(rows * length).fill(1),
    batchSize: rows,
    sequenceLength: length,
  };
}

describe('cuda memory reports', () => {
  it('checks the device index before loading anything', async () => {
    await expect(createCudaBackend().deviceMemory(-1)).rejects.toMatchObject({
      code: 'SAMP_INVALID_ARGUMENT',
      argument: 'deviceIndex',
    });
    await expect(createCudaBackend().deviceMemory(1.5)).rejects.toMatchObject({
      code: 'SAMP_INVALID_ARGUMENT',
    });
  });

  if (!hasDriver) {
    it('without a driver: deviceMemory rejects with GpuUnavailableError naming the CUDA error', async () => {
      const raw = await probeCuda();
      expect(raw.available).toBe(false);
      await expect(createCudaBackend().deviceMemory(0)).rejects.toMatchObject({
        name: 'GpuUnavailableError',
        code: 'SAMP_GPU_UNAVAILABLE',
        message: expect.stringContaining(raw.errorName ?? 'cudaError'),
      });
      // The default device of the backend is the one asked.
      await expect(createCudaBackend({ deviceIndex: 3 }).deviceMemory()).rejects.toMatchObject({
        code: 'SAMP_GPU_UNAVAILABLE',
      });
    });
  } else {
    it('deviceMemory reports the device: total > free > 0, total as the probe says', async () => {
      const raw = await probeCuda();
      const backend = createCudaBackend();
      const memory = await backend.deviceMemory(0);
      expect(memory.device).toBe('cuda:0');
      expect(memory.freeBytes).toBeGreaterThan(0);
      expect(memory.totalBytes).toBeGreaterThan(memory.freeBytes);
      const probed = raw.devices[0]?.totalMemory ?? 0;
      expect(Math.abs(memory.totalBytes - probed) / probed).toBeLessThan(0.01);
      await expect(backend.deviceMemory(raw.devices.length)).rejects.toMatchObject({
        name: 'InvalidArgumentError',
        argument: 'deviceIndex',
      });
    });

    it('a session reports its weights and a workspace that grows after a run, and 0 once disposed', async () => {
      const model = await loadModel(modelDir, { tokenizer: false });
      const session = (await createCudaBackend().createSession(model, {
        precision: 'fp32',
      })) as CudaEncoderSession;
      try {
        const before = session.memoryUsage();
        expect(before.device).toBe('cuda:0');
        expect(before.weightBytes).toBe(session.weightBytes);
        // Every FP32 parameter of the encoder: the word embeddings alone are vocab × hidden × 4 bytes.
        expect(before.weightBytes).toBeGreaterThan(model.config.vocabSize * model.config.hiddenSize * 4);
        await session.run(batch(8, 64));
        const after = session.memoryUsage();
        expect(after.weightBytes).toBe(before.weightBytes);
        expect(after.workspaceBytes).toBeGreaterThan(before.workspaceBytes);
      } finally {
        await session.dispose();
      }
      expect(session.memoryUsage()).toEqual({ device: 'cuda:0', weightBytes: 0, workspaceBytes: 0 });
    });

    it('the device used memory grows by about the weights when a session opens', async () => {
      const model = await loadModel(modelDir, { tokenizer: false });
      const backend = createCudaBackend();
      await backend.deviceMemory(0); // creates this process's context first: its cost is not the session's
      // Other test files may allocate on the GPU meanwhile, so a few tries are allowed.
      const deltas: string[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        const before = await backend.deviceMemory(0);
        const session = (await backend.createSession(model, { precision: 'fp32' })) as CudaEncoderSession;
        const after = await backend.deviceMemory(0);
        const weights = session.memoryUsage().weightBytes;
        await session.dispose();
        const grew = before.freeBytes - after.freeBytes;
        deltas.push(`${(grew / MiB).toFixed(1)} MiB for ${(weights / MiB).toFixed(1)} MiB of weights`);
        // Weights, plus cuBLASLt's 32 MiB workspace and page rounding.
        if (grew >= weights && grew <= weights + 96 * MiB) return;
      }
      expect.fail(`device used memory did not grow by about the weights: ${deltas.join('; ')}`);
    });
  }
});
