import { describe, expect, it } from 'vitest';
import { InvalidPlanError, InvalidProfileError } from '../errors';
import { tinyModel } from '../testing/test-model.test-helper';
import { checkPlanMatches, checkProfileMatches } from './check-model-match';
import { uniformPlan } from './precision-plan';
import { validPlan, validProfile } from './quant-documents.test-helper';

const model = tinyModel();

function fieldOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toSatisfy((e) => e instanceof InvalidPlanError || e instanceof InvalidProfileError);
    return (error as InvalidPlanError).field;
  }
  return 'accepted';
}

describe('checkProfileMatches', () => {
  it('accepts a profile calibrated on the model', () => {
    expect(() => checkProfileMatches(validProfile(), model, 'p.json')).not.toThrow();
  });

  it("refuses another model's profile, naming the field", () => {
    expect(fieldOf(() => checkProfileMatches(validProfile(), tinyModel({}, 'sha256:other')))).toBe(
      'model.fingerprint',
    );
    expect(fieldOf(() => checkProfileMatches(validProfile(), tinyModel({ modelType: 'roberta' })))).toBe(
      'model.modelType',
    );
    expect(fieldOf(() => checkProfileMatches(validProfile(), tinyModel({ numHiddenLayers: 3 })))).toBe(
      'model.numHiddenLayers',
    );
    expect(fieldOf(() => checkProfileMatches(validProfile(), tinyModel({ hiddenSize: 16 })))).toBe(
      'model.hiddenSize',
    );
    try {
      checkProfileMatches(validProfile(), tinyModel({}, 'sha256:other'), 'calib/p.json');
    } catch (error) {
      expect((error as InvalidProfileError).message).toMatch(
        /^calib\/p\.json, field "model\.fingerprint": .*another model/,
      );
    }
  });

  it('refuses weight scales and smoothing factors that do not fit the model', () => {
    const p1 = validProfile();
    p1.weights = { 'layers.0.attention.key.weight': { perChannelScales: [1] } };
    expect(fieldOf(() => checkProfileMatches(p1, model))).toBe('weights["layers.0.attention.key.weight"]');
    const p2 = validProfile();
    p2.weights = { 'layers.0.attention.query.weight': { perChannelScales: [1, 1] } };
    expect(fieldOf(() => checkProfileMatches(p2, model))).toBe(
      'weights["layers.0.attention.query.weight"].perChannelScales',
    );
    const p3 = validProfile();
    p3.smoothing = { 'layers.1.ffn.output.input': [1, 1, 1, 1, 1, 1, 1, 1] };
    // ffn.output.input is intermediateSize (16) wide.
    expect(fieldOf(() => checkProfileMatches(p3, model))).toBe('smoothing["layers.1.ffn.output.input"]');
  });
});

describe('checkPlanMatches', () => {
  it('accepts a plan made for the model', () => {
    expect(() => checkPlanMatches(validPlan(), model)).not.toThrow();
    expect(() => checkPlanMatches(uniformPlan(model, 'int8-ffn'), model)).not.toThrow();
  });

  it("refuses another model's plan or a layer count that does not fit", () => {
    expect(fieldOf(() => checkPlanMatches(validPlan(), tinyModel({}, 'sha256:other')))).toBe(
      'model.fingerprint',
    );
    expect(fieldOf(() => checkPlanMatches(validPlan(), tinyModel({ numHiddenLayers: 1 })))).toBe('layers[1]');
    expect(fieldOf(() => checkPlanMatches(validPlan(), tinyModel({ numHiddenLayers: 4 })))).toBe('layers');
    try {
      checkPlanMatches(validPlan(), tinyModel({ numHiddenLayers: 1 }), 'plan.json');
    } catch (error) {
      expect((error as InvalidPlanError).message).toBe(
        'plan.json, field "layers[1]": names layer 1; the model has 1 layers (0…0)',
      );
    }
  });
});
