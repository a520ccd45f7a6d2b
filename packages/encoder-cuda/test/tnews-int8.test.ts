// Accuracy of the CUDA mixed-precision modes on the trained TNEWS model (4 layers, hidden 256, 4 heads of
// 64): a profile calibrated on the CUDA FP32 session over the first 512 dev texts, accuracy measured on the
// other 4,416 (never used for calibrating). Fully-Quant on every layer must stay within 1 point of FP32
// (issue 6), and so must Quant-FFN-Only and FP8; the CUDA INT8 predictions must agree with the CPU
// backend's INT8 (same profile, same arithmetic) on nearly every text. Without a driver: the INT8 session
// of this model is refused with GpuUnavailableError.
import { calibrate } from '@samp/calibration';
import { loadModel, type QuantProfile, uniformPlan } from '@samp/core';
import { createCpuBackend } from '@samp/encoder-cpu-vnni';
import { expect, it } from 'vitest';
import { accuracy, batchOf, readDev, TNEWS_DIR } from '../../encoder-cpu-vnni/test/tnews-helpers';
import { createCudaBackend } from '../src/index';
import { hasDriver } from './gpu-gate';

const CALIBRATION_LINES = 512;

if (!hasDriver) {
  it('without a driver: a TNEWS INT8 session is refused with GpuUnavailableError', async () => {
    const model = await loadModel(TNEWS_DIR, { tokenizer: false });
    await using fp32 = await createCpuBackend({ threads: 2 }).createSession(model);
    const { profile } = await calibrate(fp32, [batchOf(readDev().slice(0, 16), model.config.padTokenId)]);
    await expect(
      createCudaBackend().createSession(model, { precision: 'int8', profile }),
    ).rejects.toMatchObject({
      code: 'SAMP_GPU_UNAVAILABLE',
    });
  });
} else {
  it('TNEWS dev: int8-full, int8-ffn and fp8 within 1 point of FP32 on texts not used to calibrate', async () => {
    const model = await loadModel(TNEWS_DIR, { tokenizer: false });
    const dev = readDev();
    const calibration = dev.slice(0, CALIBRATION_LINES);
    const evaluation = dev.slice(CALIBRATION_LINES);
    const backend = createCudaBackend();
    let profile: QuantProfile;
    {
      await using fp32 = await backend.createSession(model, { precision: 'fp32' });
      const batches = Array.from({ length: CALIBRATION_LINES / 64 }, (_, i) =>
        batchOf(calibration.slice(i * 64, i * 64 + 64), model.config.padTokenId),
      );
      profile = (await calibrate(fp32, batches)).profile;
    }
    const results: Record<string, number> = {};
    for (const [name, options] of [
      ['fp32', { precision: 'fp32' }],
      ['fp16', { precision: 'fp16' }],
      ['int8-full', { precision: 'int8', profile }],
      ['int8-ffn', { precision: 'fp16', profile, plan: uniformPlan(model, 'int8-ffn', { device: 'cuda' }) }],
      ['fp8', { precision: 'fp8', profile }],
    ] as const) {
      await using session = await backend.createSession(model, options);
      results[name] = await accuracy(model, session, evaluation, 128);
    }
    process.stdout.write(
      `${JSON.stringify({ test: 'tnews accuracy', texts: evaluation.length, results })}\n`,
    );
    const fp32 = results.fp32 ?? 0;
    expect(fp32).toBeGreaterThan(0.45);
    for (const name of ['fp16', 'int8-full', 'int8-ffn', 'fp8']) {
      expect(Math.abs((results[name] ?? 0) - fp32), name).toBeLessThanOrEqual(0.01);
    }
  });

  it('TNEWS dev: CUDA INT8 (FP32 float parts) predicts what the CPU INT8 predicts', async () => {
    const model = await loadModel(TNEWS_DIR, { tokenizer: false });
    const dev = readDev();
    const cpuBackend = createCpuBackend({ threads: 4 });
    let profile: QuantProfile;
    {
      await using fp32 = await cpuBackend.createSession(model);
      profile = (await calibrate(fp32, [batchOf(dev.slice(0, 256), model.config.padTokenId)])).profile;
    }
    const lines = dev.slice(CALIBRATION_LINES, CALIBRATION_LINES + 512);
    await using cpu = await cpuBackend.createSession(model, { precision: 'int8', profile });
    await using gpu = await createCudaBackend().createSession(model, {
      precision: 'fp32',
      profile,
      plan: uniformPlan(model, 'int8-full', { device: 'cuda' }),
    });
    const [a, b] = [await accuracy(model, cpu, lines, 128), await accuracy(model, gpu, lines, 128)];
    process.stdout.write(`${JSON.stringify({ test: 'tnews cpu vs cuda int8', cpu: a, cuda: b })}\n`);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(2 / lines.length);
  });

  it("TNEWS, up to 128 tokens: the INT8 attention output and FFN2 in k parts on the small tiles give cuBLASLt's results bit for bit", async () => {
    // At so few tokens the attention output's and FFN2's exact int32 products run in k parts (two each at this width)
    // on the encoder's own kernel (its parts are cuBLASLt's bit for bit in the kernel test), which the LayerNorm adds
    // up; SAMP_CUDA_SMALL_PARTS=0 (read when a session is made) keeps them on cuBLASLt. Integer sums
    // are exact, so the two sessions must agree on every bit, eagerly and in CUDA graphs.
    const model = await loadModel(TNEWS_DIR, { tokenizer: false });
    const dev = readDev();
    let profile: QuantProfile;
    {
      await using fp32 = await createCpuBackend({ threads: 2 }).createSession(model);
      profile = (await calibrate(fp32, [batchOf(dev.slice(0, 64), model.config.padTokenId)])).profile;
    }
    const inputs = [dev.slice(600, 601), dev.slice(601, 605)].map((l) => batchOf(l, model.config.padTokenId));
    for (const input of inputs) {
      expect(input.attentionMask.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(128);
    }
    const outputs = async (smallParts: boolean, cudaGraphs: 'on' | 'off') => {
      const before = process.env.SAMP_CUDA_SMALL_PARTS;
      process.env.SAMP_CUDA_SMALL_PARTS = smallParts ? '1' : '0';
      try {
        await using session = await createCudaBackend({ cudaGraphs }).createSession(model, {
          precision: 'int8',
          profile,
        });
        const out: Float32Array[] = [];
        for (const input of inputs) {
          await session.run(input); // the first run of a shape tunes its GEMMs (and captures its graph)
          out.push((await session.run(input)).lastHiddenState);
        }
        return out;
      } finally {
        if (before === undefined) delete process.env.SAMP_CUDA_SMALL_PARTS;
        else process.env.SAMP_CUDA_SMALL_PARTS = before;
      }
    };
    for (const cudaGraphs of ['off', 'on'] as const) {
      const [ours, theirs] = [await outputs(true, cudaGraphs), await outputs(false, cudaGraphs)];
      ours.forEach((a, i) => {
        const b = theirs[i] ?? new Float32Array();
        expect(
          Buffer.compare(
            Buffer.from(a.buffer, a.byteOffset, a.byteLength),
            Buffer.from(b.buffer, b.byteOffset, b.byteLength),
          ),
          `batch ${i}, graphs ${cudaGraphs}`,
        ).toBe(0);
      });
    }
  });
}
