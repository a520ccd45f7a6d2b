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

/** The dev set's token ids, one array per text. */
function devIds(): number[][] {
  return gunzipSync(readFileSync(join(modelDir, 'dev.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).input_ids as number[]);
}

/** The first `rows` dev texts' ids, right-padded to the longest. */
function devBatch(rows: number): EncoderInput {
  return padded(devIds().slice(0, rows));
}

/**
 * Rows of the given lengths cut from the dev texts laid end to end (real ids, longer than any one
 * text: they span several 64-key tiles and end mid-tile), right-padded to the longest.
 */
function longBatch(lengths: number[]): EncoderInput {
  const stream = devIds().flat();
  let at = 0;
  return padded(
    lengths.map((n) => {
      at += n;
      return stream.slice(at - n, at);
    }),
  );
}

function padded(ids: number[][]): EncoderInput {
  const rows = ids.length;
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
    process.stdout.write(`${JSON.stringify({ test: 'tnews dev', vsFp32, vsGeneric })}\n`);
    // Measured on the H100 (2026-11-23, WMMA kernel): 8.8e-4 and 6.3e-4.
    expect(vsFp32, 'fp16 tensor-core vs fp32').toBeLessThanOrEqual(5e-3);
    expect(vsGeneric, 'fp16 tensor-core vs fp16 generic').toBeLessThanOrEqual(5e-3);
  });

  it('the mma.sync attention kernel agrees with FP32 and with the WMMA kernel on rows spanning several key tiles', async () => {
    const model = await loadModel(modelDir, { tokenizer: false });
    // Full (128 = two tiles), mid-tile ends, exactly one tile, one short of it, a single token; 8 rows
    // (32 row-heads: blocks of 64 queries) and 40 rows (160 row-heads: blocks of 128 queries).
    const lengths = [128, 97, 65, 64, 63, 17, 1, 120];
    const h = model.config.hiddenSize;
    const backend = createCudaBackend();
    await using fp32 = (await backend.createSession(model, { precision: 'fp32' })) as CudaEncoderSession;
    await using fp16 = (await backend.createSession(model, { precision: 'fp16' })) as CudaEncoderSession;
    process.env.SAMP_CUDA_ATTENTION = 'wmma';
    let wmma: CudaEncoderSession;
    try {
      wmma = (await backend.createSession(model, { precision: 'fp16' })) as CudaEncoderSession;
    } finally {
      delete process.env.SAMP_CUDA_ATTENTION;
    }
    await using _wmma = wmma;
    expect(fp16.attentionKernel).toBe('tensor-core');
    expect(wmma.attentionKernel).toBe('tensor-core-wmma');
    for (const input of [longBatch(lengths), longBatch(Array.from({ length: 5 }, () => lengths).flat())]) {
      const real = (i: number) => input.attentionMask[Math.floor(i / h)] === 1;
      const reference = (await fp32.run(input)).lastHiddenState;
      const fast = (await fp16.run(input)).lastHiddenState;
      const old = (await wmma.run(input)).lastHiddenState;
      const vsFp32 = relativeError(fast, reference, real);
      const vsWmma = relativeError(fast, old, real);
      process.stdout.write(
        `${JSON.stringify({ test: 'tnews long rows', rows: input.batchSize, vsFp32, vsWmma })}\n`,
      );
      expect(vsFp32, `fp16 mma vs fp32, ${input.batchSize} rows`).toBeLessThanOrEqual(5e-3);
      expect(vsWmma, `fp16 mma vs fp16 wmma, ${input.batchSize} rows`).toBeLessThanOrEqual(5e-3);
      // Padded positions stay zeros (padding removal).
      expect(fast.every((v, i) => real(i) || v === 0)).toBe(true);
    }
  });
} else {
  it('without a driver: the TNEWS model cannot open a cuda session', async () => {
    const model = await loadModel(modelDir, { tokenizer: false });
    await expect(createCudaBackend().createSession(model, { precision: 'fp16' })).rejects.toMatchObject({
      code: 'SAMP_GPU_UNAVAILABLE',
    });
  });
}
