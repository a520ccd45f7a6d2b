// The base precision `samp recommend` and `precision: 'auto'` search over, chosen from the backend: fp32 on
// the CPU backend, fp16 on CUDA (one float precision per session, so a plan must not mix fp32 and fp16), and
// the modes probed beside that base. The CUDA checks use the real backend: its precision rules run before
// the GPU is touched, so they hold on any machine; what needs a GPU runs only where the driver is
// (/dev/nvidiactl), and elsewhere the backend's refusal (GpuUnavailableError) is asserted instead.
import { existsSync } from 'node:fs';
import { calibrate } from '@samp/calibration';
import { type EncoderInput, loadModel, type ModelArtifacts } from '@samp/core';
import { createCpuBackend } from '@samp/encoder-cpu-vnni';
import { createCudaBackend } from '@samp/encoder-cuda';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBasePrecision } from '../src/precision/base-precision';
import { probePlan, probePrecisions } from '../src/precision/plan-document';
import { readDev, TRAINED } from './support/dev-sets';

const hasDriver = existsSync('/dev/nvidiactl');

let model: ModelArtifacts;
beforeAll(async () => {
  model = await loadModel(TRAINED.tnews);
});

/** A padded batch of the first `n` TNEWS dev inputs (their golden token ids). */
function devBatch(n: number): EncoderInput {
  const rows = readDev(TRAINED.tnews, n).map((l) => l.input_ids);
  const sequenceLength = Math.max(...rows.map((r) => r.length));
  const inputIds = new Int32Array(n * sequenceLength);
  const attentionMask = new Int32Array(n * sequenceLength);
  rows.forEach((r, i) => {
    inputIds.set(r, i * sequenceLength);
    attentionMask.fill(1, i * sequenceLength, i * sequenceLength + r.length);
  });
  return {
    inputIds,
    attentionMask,
    tokenTypeIds: new Int32Array(n * sequenceLength),
    batchSize: n,
    sequenceLength,
  };
}

describe('the base precision on the CPU backend', () => {
  it('auto is fp32; fp16 asked for is refused, typed, naming the backend', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    expect(await chooseBasePrecision(cpu, model)).toBe('fp32');
    expect(await chooseBasePrecision(cpu, model, { requested: 'fp32' })).toBe('fp32');
    await expect(chooseBasePrecision(cpu, model, { requested: 'fp16' })).rejects.toMatchObject({
      code: 'SAMP_UNSUPPORTED_PRECISION',
      message: expect.stringMatching(/cpu/),
    });
    await expect(chooseBasePrecision(cpu, model, { requested: 'bf16' as never })).rejects.toMatchObject({
      code: 'SAMP_INVALID_ARGUMENT',
    });
  });

  it('probes each mode beside fp32 layers: the INT8 modes run, fp16 and fp8 are left out with the reason', async () => {
    const { runnable, excluded } = await probePrecisions(
      createCpuBackend({ threads: 1 }),
      model,
      undefined,
      1,
    );
    expect(runnable).toEqual(['int8-full', 'int8-ffn']);
    expect(excluded.map((e) => e.precision)).toEqual(['fp16', 'fp8']);
    for (const e of excluded) expect(e.reason).toMatch(/CPUs run fp32 and int8/);
  });
});

describe('the base precision on the CUDA backend', () => {
  it('probe plans put the mode beside the base; CUDA refuses fp16 or fp8 beside fp32 before touching a GPU', async () => {
    expect(probePlan(model, 'fp8', 'fp16', 'cuda').layers.map((l) => l.precision)).toEqual([
      'fp8',
      'fp16',
      'fp16',
      'fp16',
    ]);
    const cuda = createCudaBackend();
    for (const [mode, why] of [
      ['fp16', /one float precision/],
      ['fp8', /FP8 GEMMs run in fp16 sessions/],
    ] as const) {
      await expect(
        cuda.createSession(model, { plan: probePlan(model, mode, 'fp32', 'cuda'), precision: 'fp32' }),
      ).rejects.toMatchObject({ code: 'SAMP_UNSUPPORTED_PRECISION', message: expect.stringMatching(why) });
    }
  });

  it('over fp16, fp16 is never a mode; without a profile the quantized modes are left out, saying why', async () => {
    // The static-scale rule is checked before the GPU is touched, so this holds with and without one.
    const { runnable, excluded } = await probePrecisions(
      createCudaBackend(),
      model,
      undefined,
      undefined,
      'fp16',
    );
    expect(runnable).toEqual([]);
    expect(excluded.map((e) => e.precision)).toEqual(['int8-full', 'int8-ffn', 'fp8']);
    for (const e of excluded) expect(e.reason).toMatch(/QuantProfile/);
  });

  if (hasDriver) {
    it('with a GPU: auto is fp16, and int8-full, int8-ffn and fp8 run beside fp16 layers', async () => {
      const cuda = createCudaBackend();
      expect(await chooseBasePrecision(cuda, model)).toBe('fp16');
      await using cpu = await createCpuBackend({ threads: 1 }).createSession(model);
      const { profile } = await calibrate(cpu, [devBatch(8)]);
      const { runnable, excluded } = await probePrecisions(cuda, model, profile, undefined, 'fp16');
      expect(runnable).toEqual(['int8-full', 'int8-ffn', 'fp8']);
      expect(excluded).toEqual([]);
    });
  } else {
    it('without a GPU driver: choosing the base is refused with GpuUnavailableError, not taken for fp32', async () => {
      for (const requested of ['auto', 'fp16'] as const) {
        await expect(chooseBasePrecision(createCudaBackend(), model, { requested })).rejects.toMatchObject({
          name: 'GpuUnavailableError',
          code: 'SAMP_GPU_UNAVAILABLE',
        });
      }
    });
  }
});
