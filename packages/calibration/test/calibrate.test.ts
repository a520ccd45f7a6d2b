// calibrate() on the trained SST-2 model through the real CPU backend: what the profile holds, that it
// is deterministic and independent of batch order, that INT8 with it agrees with FP32, the method
// comparison, and the typed errors for bad input. Calibration uses dev rows 0–63 and agreement is
// checked on rows 64–191 (this is a test, not the accuracy benchmark: bench/calibration uses train data).
import {
  activationTensorNames,
  type EncoderInput,
  type EncoderSession,
  loadModel,
  type ModelArtifacts,
  parseQuantProfile,
  serializeQuantProfile,
} from '@samp/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalibrationTensorError, calibrate, EmptyCalibrationSetError } from '../src';
import { argmax, createCpuBackend, readDevLines, SST2_DIR, toBatches } from './support/workspace';

let model: ModelArtifacts;
let fp32: EncoderSession;
let batches: EncoderInput[];
const backend = createCpuBackend({ threads: 2 });

beforeAll(async () => {
  model = await loadModel(SST2_DIR);
  fp32 = await backend.createSession(model);
  batches = toBatches(
    readDevLines(SST2_DIR, 0, 64).map((l) => l.input_ids),
    32,
  );
});
afterAll(async () => {
  await fp32?.dispose();
});

/** Classifier argmax of each row from the pooled first token (pooler + classifier in float64). */
async function predictions(session: EncoderSession, rows: readonly (readonly number[])[]): Promise<number[]> {
  const w = async (name: string) => model.weights.readFloat32(name);
  const [pw, pb, cw, cb] = await Promise.all([
    w('pooler.dense.weight'),
    w('pooler.dense.bias'),
    w('classifier.weight'),
    w('classifier.bias'),
  ]);
  const h = model.config.hiddenSize;
  const labels = model.config.numLabels;
  const out: number[] = [];
  for (const batch of toBatches(rows, 64)) {
    const { lastHiddenState } = await session.run(batch);
    for (let b = 0; b < batch.batchSize; b++) {
      const cls = lastHiddenState.subarray(b * batch.sequenceLength * h, b * batch.sequenceLength * h + h);
      const pooled = new Float64Array(h);
      for (let o = 0; o < h; o++) {
        let s = pb[o] as number;
        for (let i = 0; i < h; i++) s += (pw[o * h + i] as number) * (cls[i] as number);
        pooled[o] = Math.tanh(s);
      }
      const logits = new Float64Array(labels);
      for (let o = 0; o < labels; o++) {
        let s = cb[o] as number;
        for (let i = 0; i < h; i++) s += (cw[o * h + i] as number) * (pooled[i] as number);
        logits[o] = s;
      }
      out.push(argmax(logits));
    }
  }
  return out;
}

describe('calibrate on SST-2 (CPU backend)', () => {
  it('writes a valid profile for the model: every tap, weight scales, max = the observed maximum', async () => {
    const { profile, report, model: calibrated } = await calibrate(fp32, batches, { method: 'max' });
    expect(calibrated).toBe(model);
    expect(profile.model).toEqual({
      fingerprint: model.fingerprint,
      modelType: 'bert',
      numHiddenLayers: 4,
      hiddenSize: 128,
    });
    expect(profile.method).toBe('max');
    expect(profile.createdAt).toBeUndefined();
    expect(Object.keys(profile.activations).sort()).toEqual(activationTensorNames(4).sort());
    expect(parseQuantProfile(JSON.parse(serializeQuantProfile(profile)), 'test')).toEqual(
      parseQuantProfile(profile, 'test'),
    );
    expect(Object.keys(profile.weights ?? {})).toHaveLength(4 * 6);
    expect(profile.weights?.['layers.2.ffn.intermediate.weight']?.perChannelScales).toHaveLength(512);
    // The maximum over the real tokens, computed here independently.
    const name = 'layers.1.ffn.output.input';
    let max = 0;
    for (const batch of batches) {
      const t = (await fp32.run(batch, { observe: [name] })).observed?.[name];
      const width = 512;
      for (let pos = 0; pos < batch.batchSize * batch.sequenceLength; pos++) {
        if (batch.attentionMask[pos] !== 1) continue;
        for (let j = pos * width; j < (pos + 1) * width; j++)
          max = Math.max(max, Math.abs(t?.data[j] as number));
      }
    }
    expect(profile.activations[name]).toEqual({ scale: max / 127, absMax: max });
    expect(report.tokens).toBe(batches.reduce((s, b) => s + b.attentionMask.reduce((a, m) => a + m, 0), 0));
    expect(report.rows).toBe(64);
    expect(report.tensors).toHaveLength(37);
    // Scores are observed at real keys only: masked keys (−∞ or −10000 before softmax) never count.
    expect(profile.activations['layers.0.attention.scores']?.absMax).toBeLessThan(1000);
    expect(profile.activations['layers.0.attention.probs']?.absMax).toBeLessThanOrEqual(1);
  });

  it('is deterministic and independent of the order of the batches', async () => {
    const a = await calibrate(fp32, batches, {
      method: 'entropy',
      createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    });
    const b = await calibrate(fp32, [...batches].reverse(), {
      method: 'entropy',
      createdAt: '2026-01-02T03:04:05Z',
    });
    expect(serializeQuantProfile(b.profile)).toBe(serializeQuantProfile(a.profile));
    expect(a.profile.createdAt).toBe('2026-01-02T03:04:05Z');
    expect(a.profile.methodOptions).toEqual({ numBins: 4096 });
  });

  it('compares the methods per tensor; percentile, MSE and entropy clip below the maximum', async () => {
    const { profile, report } = await calibrate(fp32, batches, { method: 'percentile', percentile: 99.9 });
    expect(profile.methodOptions).toEqual({ numBins: 4096, percentile: 99.9 });
    let clipped = 0;
    for (const t of report.tensors) {
      expect(t.method).toBe('percentile');
      expect(t.scale).toBe(profile.activations[t.name]?.scale);
      expect(t.methods.max.threshold).toBe(t.absMax);
      for (const m of ['percentile', 'mse', 'entropy'] as const) {
        expect(t.methods[m].threshold).toBeLessThanOrEqual(t.absMax);
        expect(Number.isFinite(t.methods[m].sqnrDb)).toBe(true);
      }
      // MSE minimises the very noise SQNR measures.
      expect(t.methods.mse.sqnrDb).toBeGreaterThanOrEqual(t.methods.max.sqnrDb - 1e-9);
      if (t.methods.percentile.threshold < t.absMax) clipped++;
    }
    expect(clipped).toBe(37);
  });

  it('INT8 Fully-Quant with the profile agrees with FP32 on held-out rows', async () => {
    const { profile } = await calibrate(fp32, batches, { method: 'entropy' });
    const rows = readDevLines(SST2_DIR, 64, 192).map((l) => l.input_ids);
    const reference = await predictions(fp32, rows);
    const int8 = await backend.createSession(model, { precision: 'int8', profile });
    try {
      const quantized = await predictions(int8, rows);
      const same = quantized.filter((p, i) => p === reference[i]).length / rows.length;
      expect(same).toBeGreaterThan(0.95);
    } finally {
      await int8.dispose();
    }
  });
});

describe('calibrate: bad input', () => {
  it('an empty calibration set (no batches, or no real token) is an EmptyCalibrationSetError', async () => {
    await expect(calibrate(fp32, [])).rejects.toBeInstanceOf(EmptyCalibrationSetError);
    const masked: EncoderInput = { ...(batches[0] as EncoderInput) };
    masked.attentionMask = new Int32Array(masked.attentionMask.length);
    await expect(calibrate(fp32, [masked])).rejects.toMatchObject({ code: 'SAMP_CALIBRATION_EMPTY' });
  });

  it('a session that does not return a tensor the profile needs: CalibrationTensorError naming it', async () => {
    // A real session whose backend cannot observe the attention probabilities.
    const partial: EncoderSession = {
      ...fp32,
      model: fp32.model,
      precision: fp32.precision,
      plan: fp32.plan,
      run: async (input, options) => {
        const out = await fp32.run(input, options);
        delete out.observed?.['layers.3.attention.probs'];
        return out;
      },
      dispose: () => fp32.dispose(),
    };
    const error = await calibrate(partial, batches, {
      tensors: ['layers.0.attention.context', 'layers.3.attention.probs'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CalibrationTensorError);
    expect(error).toMatchObject({
      kind: 'activation',
      tensor: 'layers.3.attention.probs',
      code: 'SAMP_CALIBRATION_TENSOR',
    });
  });

  it('a model without a Linear weight the profile scales: CalibrationTensorError naming the weight', async () => {
    const tensors = new Map(model.weights.tensors);
    tensors.delete('layers.2.ffn.output.weight');
    const broken: ModelArtifacts = {
      ...model,
      weights: { ...model.weights, tensors, readFloat32: model.weights.readFloat32 },
    };
    const session: EncoderSession = {
      ...fp32,
      model: broken,
      precision: 'fp32',
      plan: undefined,
      run: fp32.run.bind(fp32),
      dispose: async () => {},
    };
    await expect(
      calibrate(session, batches.slice(0, 1), { method: 'max', tensors: ['layers.0.attention.context'] }),
    ).rejects.toMatchObject({
      kind: 'weight',
      tensor: 'layers.2.ffn.output.weight',
    });
  });

  it('bad options and a non-FP32 session are InvalidArgumentErrors', async () => {
    await expect(calibrate(fp32, batches, { method: 'minmax' as 'max' })).rejects.toThrow(
      /method: expected one of max, percentile, mse, entropy/,
    );
    await expect(calibrate(fp32, batches, { percentile: 0 })).rejects.toThrow(/percentile/);
    await expect(calibrate(fp32, batches, { numBins: 1000 })).rejects.toThrow(/numBins/);
    await expect(calibrate(fp32, batches, { smoothQuantAlpha: 1.5 })).rejects.toThrow(/smoothQuantAlpha/);
    await expect(calibrate(fp32, batches, { tensors: ['layers.4.attention.context'] })).rejects.toThrow(
      /layer 4; the model has 4/,
    );
    await expect(calibrate(fp32, batches, { createdAt: 'yesterday' })).rejects.toThrow(/createdAt/);
    const int8 = await backend.createSession(model, { precision: 'int8' });
    try {
      await expect(calibrate(int8, batches)).rejects.toMatchObject({ code: 'SAMP_INVALID_ARGUMENT' });
    } finally {
      await int8.dispose();
    }
  });
});
