// The trained TNEWS model (4 layers, hidden 256, 4 heads of 64: the FP16 sessions take the tensor-core
// attention kernel, which the tiny fixtures, head_dim 8, never reach) on ragged batches of its dev set:
// FP16 with tensor-core attention against FP32 (generic kernel) and against FP16 with the generic
// kernel, at the real positions. Without a driver: sessions are refused (asserted in golden.test.ts).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { type EncoderInput, loadModel } from '@samp/core';
import { relativeError } from '@samp/core/testing';
import { expect, it } from 'vitest';
import { type CudaEncoderSession, createCudaBackend } from '../src/index';
import { hasDriver } from './gpu-gate';

const modelDir = join(dirname(fileURLToPath(import.meta.url)), '../../model-tnews-zh-small/model');

/** The first `rows` dev texts' ids, right-padded to the longest. */
function devBatch(rows: number): EncoderInput {
  const ids = gunzipSync(readFileSync(join(modelDir, 'dev.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, rows)
    .map((l) => JSON.parse(l).input_ids as number[]);
  const seq = Math.max(...ids.map((r) => r.length));
  const input: EncoderInput = {
    inputIds: new Int32Array(rows * seq),
    attentionMask: new Int32Array(rows * seq),
    batchSize: rows,
    sequenceLength: seq,
  };
  ids.forEach((r, i) => {
    input.inputIds.set(r, i * seq);
    input.attentionMask.fill(1, i * seq, i * seq + r.length);
  });
  return input;
}

it.runIf?.(hasDriver) ?? it;

if (hasDriver) {
  it('FP16 with tensor-core attention agrees with FP32 and with the generic kernel (TNEWS dev, 64 ragged rows)', async () => {
    const model = await loadModel(modelDir, { tokenizer: false });
    const input = devBatch(64);
    const h = model.config.hiddenSize;
    const real = (i: number) => input.attentionMask[Math.floor(i / h)] === 1;
    const backend = createCudaBackend();
    await using fp32 = (await backend.createSession(model, { precision: 'fp32' })) as CudaEncoderSession;
    await using fp16 = (await backend.createSession(model, { precision: 'fp16' })) as CudaEncoderSession;
    process.env.SAMP_CUDA_ATTENTION = 'generic';
    let generic: CudaEncoderSession;
    try {
      generic = (await backend.createSession(model, { precision: 'fp16' })) as CudaEncoderSession;
    } finally {
      delete process.env.SAMP_CUDA_ATTENTION;
    }
    await using _generic = generic;
    expect(fp16.attentionKernel).toBe('tensor-core');
    expect(generic.attentionKernel).toBe('generic');
    expect(fp32.attentionKernel).toBe('generic');
    const reference = (await fp32.run(input)).lastHiddenState;
    const fast = (await fp16.run(input)).lastHiddenState;
    const slow = (await generic.run(input)).lastHiddenState;
    const vsFp32 = relativeError(fast, reference, real);
    const vsGeneric = relativeError(fast, slow, real);
    // Measured on the H100 (2026-11-23): 8.8e-4 and 6.3e-4.
    expect(vsFp32, 'fp16 tensor-core vs fp32').toBeLessThanOrEqual(5e-3);
    expect(vsGeneric, 'fp16 tensor-core vs fp16 generic').toBeLessThanOrEqual(5e-3);
  });
} else {
  it('without a driver: the TNEWS model cannot open a cuda session', async () => {
    const model = await loadModel(modelDir, { tokenizer: false });
    await expect(createCudaBackend().createSession(model, { precision: 'fp16' })).rejects.toMatchObject({
      code: 'SAMP_GPU_UNAVAILABLE',
    });
  });
}
