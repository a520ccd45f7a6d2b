// SmoothQuant: factors by the formula, folding them into the weights keeps the FP32 model (every fixture
// architecture and the trained SST-2 model), calibration of the smoothed activations, and the refusals.
import {
  checkProfileMatches,
  type EncoderInput,
  type EncoderSession,
  InvalidProfileError,
  loadModel,
  type ModelArtifacts,
} from '@samp/core';
import { listFixtureModels, readFixtureInputs } from '@samp/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applySmoothing,
  calibrate,
  columnAbsMax,
  SmoothingError,
  smoothModel,
  smoothQuantFactors,
} from '../src';
import { createCpuBackend, readDevLines, SST2_DIR, toBatches } from './support/workspace';

const backend = createCpuBackend({ threads: 2 });

/** Positive factors over several octaves, different per channel and layer. */
function someFactors(layers: number, hidden: number): Record<string, number[]> {
  const factors: Record<string, number[]> = {};
  for (let l = 0; l < layers; l++) {
    factors[`layers.${l}.attention.context`] = Array.from(
      { length: hidden },
      (_, j) => 2 ** (((j * 5 + l) % 9) - 4),
    );
  }
  return factors;
}

function maxRelativeDifference(
  a: Float32Array,
  b: Float32Array,
  input: EncoderInput,
  hidden: number,
): number {
  let scale = 0;
  let diff = 0;
  for (let pos = 0; pos < input.batchSize * input.sequenceLength; pos++) {
    if (input.attentionMask[pos] !== 1) continue;
    for (let j = pos * hidden; j < (pos + 1) * hidden; j++) {
      scale = Math.max(scale, Math.abs(a[j] as number));
      diff = Math.max(diff, Math.abs((a[j] as number) - (b[j] as number)));
    }
  }
  return diff / scale;
}

describe('smoothQuantFactors', () => {
  it('s_j = max|X_j|^α / max|W_j|^(1−α), 1 where a channel is all zeros', () => {
    const s = smoothQuantFactors([8, 0.5, 0, 2], [0.1, 0.2, 0.3, 0], 0.5);
    expect(s[0]).toBeCloseTo(Math.sqrt(8) / Math.sqrt(0.1), 12);
    expect(s[1]).toBeCloseTo(Math.sqrt(0.5) / Math.sqrt(0.2), 12);
    expect(s.slice(2)).toEqual([1, 1]);
    expect(smoothQuantFactors([8], [0.1], 1)[0]).toBe(8);
    expect(smoothQuantFactors([8], [0.1], 0)[0]).toBeCloseTo(10, 12);
    expect(() => smoothQuantFactors([1], [1, 2])).toThrow(/channels/);
    expect(Array.from(columnAbsMax(new Float32Array([1, -5, 3, -2, 4, 0]), 3))).toEqual([2, 5, 3]);
  });
});

describe('smoothModel', () => {
  for (const fixture of listFixtureModels().filter(
    (f) => f.inputsFile !== undefined && f.modelType !== 'albert',
  )) {
    it(`${fixture.name}: the smoothed weights compute the same FP32 outputs`, async () => {
      const model = await loadModel(fixture.dir, { tokenizer: false });
      const { numHiddenLayers, hiddenSize } = model.config;
      const smoothed = await smoothModel(model, someFactors(numHiddenLayers, hiddenSize));
      expect(smoothed.fingerprint).not.toBe(model.fingerprint);
      expect(smoothed.fingerprint).toMatch(/^sha256:/);
      const input = readFixtureInputs(fixture, model.config.padTokenId);
      const a = await backend.createSession(model);
      const b = await backend.createSession(smoothed);
      try {
        const ra = await a.run(input, { observe: ['layers.0.attention.context'] });
        const rb = await b.run(input, { observe: ['layers.0.attention.context'] });
        expect(maxRelativeDifference(ra.lastHiddenState, rb.lastHiddenState, input, hiddenSize)).toBeLessThan(
          1e-5,
        );
        // The context channel j is divided by s_j.
        const s = someFactors(1, hiddenSize)['layers.0.attention.context'] as number[];
        const ca = ra.observed?.['layers.0.attention.context']?.data as Float32Array;
        const cb = rb.observed?.['layers.0.attention.context']?.data as Float32Array;
        for (let i = 0; i < hiddenSize * 3; i++) {
          expect(cb[i]).toBeCloseTo((ca[i] as number) / (s[i % hiddenSize] as number), 4);
        }
      } finally {
        await a.dispose();
        await b.dispose();
      }
      // Untouched tensors are read from the original files.
      expect(await smoothed.weights.readFloat32('layers.0.ffn.output.weight')).toEqual(
        await model.weights.readFloat32('layers.0.ffn.output.weight'),
      );
    });
  }

  it('refuses layers that share weights (ALBERT), taps it cannot fold, and bad factors', async () => {
    const albert = listFixtureModels().find((f) => f.modelType === 'albert');
    expect(albert).toBeDefined();
    const shared = await loadModel(albert?.dir as string, { tokenizer: false });
    const h = shared.config.hiddenSize;
    await expect(smoothModel(shared, someFactors(1, h))).rejects.toThrow(/shared with other layers/);
    const bert = await loadModel(
      (listFixtureModels().find((f) => f.name === 'bert') as { dir: string }).dir,
      { tokenizer: false },
    );
    const hb = bert.config.hiddenSize;
    const qkv = await smoothModel(bert, { 'layers.0.attention.qkv.input': Array(hb).fill(2) }).catch(
      (e: unknown) => e,
    );
    expect(qkv).toBeInstanceOf(SmoothingError);
    expect((qkv as Error).message).toMatch(/layers\.0\.attention\.qkv\.input: cannot be folded .*residual/);
    await expect(smoothModel(bert, { 'layers.0.attention.context': [1, 2] })).rejects.toThrow(
      /expected 32 positive finite factors, got 2/,
    );
    await expect(smoothModel(bert, { 'layers.0.attention.context': Array(hb).fill(0) })).rejects.toThrow(
      SmoothingError,
    );
    await expect(smoothModel(bert, { 'layers.7.attention.context': Array(hb).fill(1) })).rejects.toThrow(
      SmoothingError,
    );
  });
});

describe('calibrate with SmoothQuant (SST-2)', () => {
  let model: ModelArtifacts;
  let fp32: EncoderSession;
  let batches: EncoderInput[];
  beforeAll(async () => {
    model = await loadModel(SST2_DIR);
    fp32 = await backend.createSession(model);
    batches = toBatches(
      readDevLines(SST2_DIR, 0, 48).map((l) => l.input_ids),
      32,
    );
  });
  afterAll(async () => {
    await fp32?.dispose();
  });

  it('records the factors, calibrates the smoothed activations, and belongs to the smoothed model', async () => {
    const { profile, model: smoothed } = await calibrate(fp32, () => batches, {
      method: 'max',
      smoothQuantAlpha: 0.5,
    });
    expect(profile.methodOptions).toEqual({ smoothQuantAlpha: 0.5 });
    expect(Object.keys(profile.smoothing ?? {})).toEqual(
      [0, 1, 2, 3].map((l) => `layers.${l}.attention.context`),
    );
    expect(profile.model.fingerprint).toBe(smoothed.fingerprint);
    expect(smoothed.fingerprint).not.toBe(model.fingerprint);
    expect(() => checkProfileMatches(profile, model)).toThrow(InvalidProfileError);
    checkProfileMatches(profile, smoothed);

    // The factors of layer 0 from the channel maxima of the original context and the output weight's columns.
    const channelMax = new Float64Array(128);
    for (const batch of batches) {
      const t = (await fp32.run(batch, { observe: ['layers.0.attention.context'] })).observed?.[
        'layers.0.attention.context'
      ];
      for (let pos = 0; pos < batch.batchSize * batch.sequenceLength; pos++) {
        if (batch.attentionMask[pos] !== 1) continue;
        for (let j = 0; j < 128; j++)
          channelMax[j] = Math.max(channelMax[j] as number, Math.abs(t?.data[pos * 128 + j] as number));
      }
    }
    const columns = columnAbsMax(await model.weights.readFloat32('layers.0.attention.output.weight'), 128);
    expect(profile.smoothing?.['layers.0.attention.context']).toEqual(
      smoothQuantFactors(channelMax, columns, 0.5),
    );

    // Activation maxima are those the smoothed model produces (value and context divided by s).
    const session = await backend.createSession(smoothed);
    try {
      for (const name of [
        'layers.0.attention.context',
        'layers.2.attention.value',
        'layers.1.ffn.output.input',
      ]) {
        let max = 0;
        for (const batch of batches) {
          const t = (await session.run(batch, { observe: [name] })).observed?.[name];
          const width = t?.shape[2] as number;
          for (let pos = 0; pos < batch.batchSize * batch.sequenceLength; pos++) {
            if (batch.attentionMask[pos] !== 1) continue;
            for (let j = pos * width; j < (pos + 1) * width; j++)
              max = Math.max(max, Math.abs(t?.data[j] as number));
          }
        }
        expect(Math.abs((profile.activations[name]?.absMax as number) - max) / max).toBeLessThan(1e-4);
      }
    } finally {
      await session.dispose();
    }

    // applySmoothing rebuilds the same smoothed model from the original and the profile, and INT8 runs on it.
    const rebuilt = await applySmoothing(model, profile, 'profile.json');
    expect(rebuilt.fingerprint).toBe(profile.model.fingerprint);
    const int8 = await backend.createSession(rebuilt, { precision: 'int8', profile });
    try {
      const input = batches[0] as EncoderInput;
      const out = await int8.run(input);
      const ref = await fp32.run(input);
      expect(maxRelativeDifference(ref.lastHiddenState, out.lastHiddenState, input, 128)).toBeLessThan(0.2);
    } finally {
      await int8.dispose();
    }
    expect(await applySmoothing(model, { ...profile, smoothing: undefined })).toBe(model);
    const tampered = structuredClone(profile);
    const layer1 = tampered.smoothing?.['layers.1.attention.context'] as number[];
    layer1[5] = (layer1[5] as number) * 2;
    await expect(applySmoothing(model, tampered, 'profile.json')).rejects.toThrow(
      /profile\.json, field "model\.fingerprint"/,
    );
  });

  it('refuses a one-shot generator, which the second pass cannot read again', async () => {
    function* once() {
      yield* batches;
    }
    await expect(calibrate(fp32, once(), { smoothQuantAlpha: 0.5 })).rejects.toThrow(/second pass/);
  });
});
