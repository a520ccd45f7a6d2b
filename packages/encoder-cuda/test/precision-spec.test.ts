// How a CUDA session's precision, plan and profile resolve into the native layer choices (no GPU needed):
// a real profile calibrated on the CPU backend for the golden BERT and ALBERT fixtures.
import { calibrate } from '@samp/calibration';
import {
  layerActivationName,
  loadModel,
  type ModelArtifacts,
  type PrecisionPlan,
  type QuantProfile,
  uniformPlan,
} from '@samp/core';
import { listFixtureModels, readFixtureInputs } from '@samp/core/testing';
import { createCpuBackend } from '@samp/encoder-cpu-vnni';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveCudaPrecision } from '../src/precision-spec';

async function fixture(name: string): Promise<{ model: ModelArtifacts; profile: QuantProfile }> {
  const f = listFixtureModels().find((m) => m.name === name);
  if (f === undefined) throw new Error(`no fixture ${name}`);
  const model = await loadModel(f.dir, { tokenizer: false });
  await using session = await createCpuBackend({ threads: 1 }).createSession(model);
  const { profile } = await calibrate(session, [readFixtureInputs(f, model.config.padTokenId)]);
  return { model, profile };
}

describe('resolveCudaPrecision', () => {
  let bert: { model: ModelArtifacts; profile: QuantProfile };
  let albert: { model: ModelArtifacts; profile: QuantProfile };
  beforeAll(async () => {
    [bert, albert] = await Promise.all([fixture('bert'), fixture('albert-seq-cls')]);
  });

  it('runs fp32 and fp16 without quantized layers', () => {
    for (const precision of ['fp32', 'fp16'] as const) {
      const spec = resolveCudaPrecision(bert.model, { precision });
      expect(spec).toMatchObject({ precision, floatPrecision: precision, layerQuant: undefined });
    }
  });

  it('int8 is Fully-Quant on every layer over FP16, with the profile scales', () => {
    const { model, profile } = bert;
    const spec = resolveCudaPrecision(model, { precision: 'int8', profile });
    expect(spec.precision).toBe('int8');
    expect(spec.floatPrecision).toBe('fp16');
    expect(spec.layerQuant).toHaveLength(model.config.numHiddenLayers);
    spec.layerQuant?.forEach((q, i) => {
      const scale = (tap: Parameters<typeof layerActivationName>[1]) =>
        profile.activations[layerActivationName(i, tap)]?.scale;
      expect(q.qkv).toEqual({ precision: 'int8', scale: scale('attention.qkv.input') });
      expect(q.attentionOutput).toEqual({ precision: 'int8', scale: scale('attention.context') });
      expect(q.ffnIntermediate).toEqual({ precision: 'int8', scale: scale('ffn.intermediate.input') });
      expect(q.ffnOutput).toEqual({ precision: 'int8', scale: scale('ffn.output.input') });
      expect(q.attention).toEqual({
        query: scale('attention.query'),
        key: scale('attention.key'),
        value: scale('attention.value'),
        probs: scale('attention.probs') ?? 0,
      });
    });
    expect(Object.keys(spec.weightScales ?? {})).toContain('layers.1.ffn.output.weight');
  });

  it('a plan of quantized layers runs its float parts at fp32 only when asked', () => {
    const { model, profile } = bert;
    const plan = uniformPlan(model, 'int8-ffn', { device: 'cuda' });
    expect(resolveCudaPrecision(model, { plan, profile }).floatPrecision).toBe('fp16');
    const spec = resolveCudaPrecision(model, { precision: 'fp32', plan, profile });
    expect(spec.floatPrecision).toBe('fp32');
    expect(spec.layerQuant?.[0]).toMatchObject({ qkv: null, attentionOutput: null });
    expect(spec.layerQuant?.[0]?.attention).toBeUndefined();
    expect(spec.layerQuant?.[0]?.ffnOutput).toMatchObject({ precision: 'int8' });
  });

  it('fp8 runs the four Linears in E4M3 and the attention in float', () => {
    const spec = resolveCudaPrecision(bert.model, { precision: 'fp8', profile: bert.profile });
    expect(spec.precision).toBe('fp8');
    expect(spec.floatPrecision).toBe('fp16');
    expect(spec.layerQuant?.[1]).toMatchObject({
      qkv: { precision: 'fp8' },
      ffnOutput: { precision: 'fp8' },
    });
    expect(spec.layerQuant?.[1]?.attention).toBeUndefined();
    expect(spec.weightScales).toBeUndefined();
  });

  it('refuses what the CUDA kernels cannot run, naming the layer', () => {
    const { model, profile } = bert;
    const layers = (
      a: PrecisionPlan['layers'][number],
      b: PrecisionPlan['layers'][number],
    ): PrecisionPlan => ({
      ...uniformPlan(model, 'fp32', { device: 'cuda' }),
      layers: [a, b],
    });
    expect(() => resolveCudaPrecision(model, { precision: 'int8' })).toThrow(/QuantProfile/);
    expect(() =>
      resolveCudaPrecision(model, { plan: layers({ precision: 'fp32' }, { precision: 'fp16' }), profile }),
    ).toThrow(/one float precision/);
    expect(() =>
      resolveCudaPrecision(model, {
        precision: 'fp32',
        plan: layers({ precision: 'fp8' }, { precision: 'fp32' }),
        profile,
      }),
    ).toThrow(/fp16 sessions/);
    expect(() =>
      resolveCudaPrecision(model, {
        plan: layers({ precision: 'fp16', gemms: { 'attention-scores': 'int8' } }, { precision: 'fp16' }),
        profile,
      }),
    ).toThrow(/plan\.layers\[0\].*together/);
    const partial: QuantProfile = { ...profile, activations: { ...profile.activations } };
    delete partial.activations[layerActivationName(1, 'ffn.output.input')];
    expect(() => resolveCudaPrecision(model, { precision: 'int8', profile: partial })).toThrow(
      /layers\.1\.ffn\.output\.input/,
    );
  });

  it('keys weight scales by the layer source ALBERT shares', () => {
    const spec = resolveCudaPrecision(albert.model, { precision: 'int8', profile: albert.profile });
    const names = Object.keys(spec.weightScales ?? {});
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.startsWith('layers.0.'))).toBe(true);
  });
});
