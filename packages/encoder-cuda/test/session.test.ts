// Session behaviour beyond the conformance suite: typed errors (no driver, bad device, out of memory
// with the session usable afterwards), several sessions at once, precision choices, the benchmark
// entry. The GPU branch runs where the driver is; elsewhere the refusals are asserted.
import { loadModel, type ModelArtifacts, uniformPlan } from '@samp/core';
import { listFixtureModels, readFixtureInputs, relativeError } from '@samp/core/testing';
import { describe, expect, it } from 'vitest';
import { CudaEncoderSession, createCudaBackend, fromNativeError } from '../src/index';
import { hasDriver } from './gpu-gate';

const fixture = listFixtureModels().find((f) => f.name === 'bert');
let modelPromise: Promise<ModelArtifacts> | undefined;
const model = () => {
  modelPromise ??= loadModel(fixture?.dir ?? '', { tokenizer: false });
  return modelPromise;
};

describe('precision and options (no GPU needed)', () => {
  it('refuses int8 / fp8 without a profile, and mixed float plans, with UnsupportedPrecisionError before touching the GPU', async () => {
    const m = await model();
    const backend = createCudaBackend();
    for (const precision of ['int8', 'fp8'] as const) {
      await expect(backend.createSession(m, { precision })).rejects.toMatchObject({
        code: 'SAMP_UNSUPPORTED_PRECISION',
        precision,
        message: expect.stringMatching(/QuantProfile/),
      });
    }
    const mixed = uniformPlan(m, 'fp16');
    mixed.layers[1] = { ...mixed.layers[1], precision: 'fp32' } as (typeof mixed.layers)[number];
    await expect(backend.createSession(m, { plan: mixed })).rejects.toMatchObject({
      code: 'SAMP_UNSUPPORTED_PRECISION',
      field: 'plan.layers[1]',
    });
    await expect(backend.createSession(m, { precision: 'bf16' as never })).rejects.toMatchObject({
      code: 'SAMP_INVALID_ARGUMENT',
    });
  });

  it('checks its options', () => {
    expect(() => createCudaBackend({ padPositions: 'all' as never })).toThrow(/padPositions/);
    expect(() => createCudaBackend({ cudaGraphs: 'yes' as never })).toThrow(/cudaGraphs/);
    expect(() => createCudaBackend({ deviceIndex: -1 })).toThrow(/deviceIndex/);
    expect(() => createCudaBackend({ memoryLimit: 1.5 })).toThrow(/memoryLimit/);
  });

  it('maps native error codes to typed errors', () => {
    const native = (code: string, message: string) => Object.assign(new Error(message), { code });
    expect(
      fromNativeError(
        native('SAMP_DEVICE_OUT_OF_MEMORY', 'cudaMalloc failed (asked for 4096 bytes)'),
        'cuda:1',
      ),
    ).toMatchObject({
      name: 'DeviceOutOfMemoryError',
      device: 'cuda:1',
      requestedBytes: 4096,
    });
    expect(
      fromNativeError(native('SAMP_GPU_FAILURE', 'attention kernel failed: cudaErrorLaunchFailure')),
    ).toMatchObject({
      name: 'CudaKernelError',
      code: 'SAMP_GPU_FAILURE',
    });
    expect(fromNativeError(native('SAMP_GPU_UNAVAILABLE', 'cudaErrorNoDevice'))).toMatchObject({
      name: 'GpuUnavailableError',
    });
    expect(
      fromNativeError(native('SAMP_INPUT_TOO_LONG', 'sequenceLength has length 70, over the limit of 64')),
    ).toMatchObject({
      name: 'InputTooLongError',
    });
  });
});

if (!hasDriver) {
  it('without a driver: createSession rejects with GpuUnavailableError naming the CUDA error', async () => {
    await expect(
      createCudaBackend().createSession(await model(), { precision: 'fp16' }),
    ).rejects.toMatchObject({
      name: 'GpuUnavailableError',
      message: expect.stringMatching(/cudaSetDevice failed: cudaError\w+/),
    });
  });
} else {
  describe('on the GPU', () => {
    it('an out-of-memory run rejects with DeviceOutOfMemoryError and the session runs afterwards', async () => {
      const m = await model();
      const input = readFixtureInputs(fixture ?? (undefined as never), m.config.padTokenId);
      // 1 MiB of workspace holds the fixture batch (tens of tokens × ~1.3 KiB) but not 65,536 tokens (~85 MB).
      await using session = await createCudaBackend({ memoryLimit: 1 << 20 }).createSession(m, {
        precision: 'fp32',
      });
      const before = await session.run(input);
      const big = {
        inputIds: new Int32Array(64 * 1024).fill(5),
        attentionMask: new Int32Array(64 * 1024).fill(1),
        batchSize: 1024,
        sequenceLength: 64,
      };
      await expect(session.run(big)).rejects.toMatchObject({
        name: 'DeviceOutOfMemoryError',
        code: 'SAMP_DEVICE_OUT_OF_MEMORY',
      });
      const after = await session.run(input);
      expect(relativeError(after.lastHiddenState, before.lastHiddenState)).toBe(0);
    });

    it('runs several sessions at once (fp32 and fp16 of one model) with their own results', async () => {
      const m = await model();
      const input = readFixtureInputs(fixture ?? (undefined as never), m.config.padTokenId);
      const backend = createCudaBackend();
      const [a, b] = await Promise.all([
        backend.createSession(m, { precision: 'fp32' }),
        backend.createSession(m, { precision: 'fp16' }),
      ]);
      try {
        const single = await a.run(input);
        const results = await Promise.all([a.run(input), b.run(input), a.run(input), b.run(input)]);
        const h = m.config.hiddenSize;
        const real = (i: number) => input.attentionMask[Math.floor(i / h)] === 1;
        for (const r of results)
          expect(relativeError(r.lastHiddenState, single.lastHiddenState, real)).toBeLessThanOrEqual(3e-3);
        expect(a).toBeInstanceOf(CudaEncoderSession);
        expect((a as CudaEncoderSession).weightBytes).toBeGreaterThan((b as CudaEncoderSession).weightBytes);
      } finally {
        await a.dispose();
        await b.dispose();
      }
    });

    it('rejects a device index the machine does not have with a typed error', async () => {
      await expect(
        createCudaBackend().createSession(await model(), { deviceIndex: 64 }),
      ).rejects.toMatchObject({
        code: 'SAMP_INVALID_ARGUMENT',
      });
    });

    it('accepts a uniform fp16 plan and benchmarks a batch with the batch on the device', async () => {
      const m = await model();
      const input = readFixtureInputs(fixture ?? (undefined as never), m.config.padTokenId);
      await using session = (await createCudaBackend().createSession(m, {
        plan: uniformPlan(m, 'fp16'),
      })) as CudaEncoderSession;
      expect(session.precision).toBe('fp16');
      const result = await session.benchmark(input, { warmup: 2, iterations: 5 });
      expect(result).toMatchObject({ iterations: 5, graph: true });
      expect(result.medianMs).toBeGreaterThan(0);
      expect(result.minMs).toBeLessThanOrEqual(result.medianMs);
      expect(session.memory().graphs).toBeGreaterThan(0);
    });
  });
}
