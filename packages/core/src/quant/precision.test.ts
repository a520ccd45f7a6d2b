import { describe, expect, it } from 'vitest';
import { InvalidProfileError } from '../errors';
import { tinyModel } from '../testing/test-model.test-helper';
import { checkProfileCoversPlan, requiredActivationTensors, resolveLayerGemms } from './plan-requirements';
import {
  GEMM_NAMES,
  gemmPrecisionsOf,
  isGemmName,
  isGemmPrecision,
  isLayerPrecision,
  isSessionPrecision,
} from './precision';
import { uniformPlan } from './precision-plan';
import { validProfile } from './quant-documents.test-helper';
import {
  activationTensorNames,
  activationTensorShape,
  gemmInputTensorNames,
  layerActivationName,
  parseActivationTensorName,
} from './tensor-names';

describe('precisions', () => {
  it('expands SAMP modes into per-GEMM precisions', () => {
    expect(Object.values(gemmPrecisionsOf('int8-full'))).toEqual(GEMM_NAMES.map(() => 'int8'));
    expect(gemmPrecisionsOf('int8-ffn')).toEqual({
      qkv: 'fp16',
      'attention-scores': 'fp16',
      'attention-context': 'fp16',
      'attention-output': 'fp16',
      'ffn-intermediate': 'int8',
      'ffn-output': 'int8',
    });
    expect(gemmPrecisionsOf('int8-ffn', 'fp32').qkv).toBe('fp32');
    expect(gemmPrecisionsOf('fp8').qkv).toBe('fp8');
    expect(
      resolveLayerGemms({ precision: 'int8-full', gemms: { 'attention-scores': 'fp16' } })[
        'attention-scores'
      ],
    ).toBe('fp16');
  });

  it('has type guards', () => {
    expect(isLayerPrecision('int8-ffn')).toBe(true);
    expect(isLayerPrecision('int8')).toBe(false);
    expect(isGemmPrecision('int8')).toBe(true);
    expect(isGemmName('qkv')).toBe(true);
    expect(isGemmName('query')).toBe(false);
    expect(isSessionPrecision('fp8')).toBe(true);
    expect(isSessionPrecision(8)).toBe(false);
  });
});

describe('activation tensor names', () => {
  it('lists embeddings.output then every layer tap', () => {
    const names = activationTensorNames(2);
    expect(names.length).toBe(1 + 2 * 9);
    expect(names[0]).toBe('embeddings.output');
    expect(names).toContain('layers.1.attention.scores');
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(parseActivationTensorName(name)).toBeDefined();
  });

  it('parses names and refuses others', () => {
    expect(parseActivationTensorName('layers.12.ffn.output.input')).toEqual({
      kind: 'layer',
      layer: 12,
      tap: 'ffn.output.input',
    });
    expect(parseActivationTensorName('embeddings.output')).toEqual({ kind: 'embeddings' });
    for (const bad of [
      'layers.01.attention.probs',
      'layers.x.attention.probs',
      'layers.0.attention',
      'encoder.output',
    ]) {
      expect(parseActivationTensorName(bad)).toBeUndefined();
    }
    expect(layerActivationName(3, 'attention.context')).toBe('layers.3.attention.context');
  });

  it('names GEMM inputs and tensor shapes', () => {
    expect(gemmInputTensorNames(1, 'attention-context')).toEqual([
      'layers.1.attention.probs',
      'layers.1.attention.value',
    ]);
    const config = { hiddenSize: 8, intermediateSize: 16, numAttentionHeads: 2, embeddingSize: 4 };
    expect(activationTensorShape('embeddings.output', config, 3, 5)).toEqual([3, 5, 4]);
    expect(activationTensorShape('layers.0.attention.scores', config, 3, 5)).toEqual([3, 2, 5, 5]);
    expect(activationTensorShape('layers.0.ffn.output.input', config, 3, 5)).toEqual([3, 5, 16]);
    expect(activationTensorShape('layers.0.attention.query', config, 3, 5)).toEqual([3, 5, 8]);
    expect(activationTensorShape('nope', config, 3, 5)).toBeUndefined();
  });
});

describe('plan requirements', () => {
  const model = tinyModel();

  it('lists the scales a plan needs', () => {
    expect(requiredActivationTensors(uniformPlan(model, 'fp16'))).toEqual([]);
    expect(requiredActivationTensors(uniformPlan(model, 'int8-ffn'))).toEqual([
      'layers.0.ffn.intermediate.input',
      'layers.0.ffn.output.input',
      'layers.1.ffn.intermediate.input',
      'layers.1.ffn.output.input',
    ]);
    expect(requiredActivationTensors(uniformPlan(model, 'int8-full')).length).toBe(2 * 8);
  });

  it('refuses a profile lacking a needed scale', () => {
    const profile = validProfile();
    expect(() => checkProfileCoversPlan(profile, uniformPlan(model, 'fp32'))).not.toThrow();
    try {
      checkProfileCoversPlan(profile, uniformPlan(model, 'int8-ffn'), 'p.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidProfileError);
      expect((error as InvalidProfileError).field).toBe('activations["layers.0.ffn.intermediate.input"]');
      expect((error as InvalidProfileError).message).toContain('3 missing');
    }
  });
});
