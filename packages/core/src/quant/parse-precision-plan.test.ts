import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { InvalidPlanError } from '../errors';
import { parsePrecisionPlan } from './parse-precision-plan';
import { uniformPlan } from './precision-plan';
import { type Loose, mutate, validPlan } from './quant-documents.test-helper';
import { precisionPlanJsonSchema } from './schema';

const validateSchema = new Ajv2020({
  strict: true,
  allowUnionTypes: true,
  validateFormats: false,
  allErrors: true,
}).compile(precisionPlanJsonSchema);

describe('parsePrecisionPlan', () => {
  it('accepts a valid plan, and the JSON schema agrees', () => {
    const doc = validPlan();
    expect(parsePrecisionPlan(doc, 'plan.json')).toEqual(doc);
    expect(validateSchema(doc)).toBe(true);
  });

  it('accepts uniform plans for every layer precision', () => {
    for (const precision of ['fp32', 'fp16', 'fp8', 'int8-full', 'int8-ffn'] as const) {
      const plan = uniformPlan({ fingerprint: 'f', config: { numHiddenLayers: 3 } }, precision, {
        device: 'cpu',
      });
      expect(plan.layers).toEqual([{ precision }, { precision }, { precision }]);
      expect(parsePrecisionPlan(plan, 'uniform')).toEqual(plan);
      expect(validateSchema(plan)).toBe(true);
    }
    expect(uniformPlan({ fingerprint: 'f', config: { numHiddenLayers: 1 } }, 'fp16').device).toBe('any');
  });

  it('puts per-GEMM overrides in canonical GEMM order', () => {
    const doc = mutate(validPlan(), (d) => {
      d.layers[0].gemms = { 'ffn-output': 'fp16', qkv: 'int8', 'attention-scores': 'fp32' };
    });
    expect(Object.keys(parsePrecisionPlan(doc, 'p').layers[0]?.gemms ?? {})).toEqual([
      'qkv',
      'attention-scores',
      'ffn-output',
    ]);
  });

  const cases: [string, (d: Loose) => void, string | undefined, RegExp][] = [
    ['another format', (d) => (d.format = 'samp.quant-profile'), 'format', /is this a PrecisionPlan/],
    ['a newer version', (d) => (d.version = 3), 'version', /newer/],
    ['an unknown field', (d) => (d.layer = []), 'layer', /unknown field/],
    [
      'no fingerprint',
      (d) => delete d.model.fingerprint,
      'model.fingerprint',
      /expected a string, got nothing/,
    ],
    ['no device', (d) => (d.device = ''), 'device', /non-empty/],
    ['layers as an object', (d) => (d.layers = {}), 'layers', /expected an array/],
    [
      'an unknown layer precision',
      (d) => (d.layers[1].precision = 'int4'),
      'layers[1].precision',
      /expected one of fp32, fp16, fp8, int8-full, int8-ffn, got "int4"/,
    ],
    ['a layer that is not an object', (d) => (d.layers[0] = 'fp16'), 'layers[0]', /expected an object/],
    ['an unknown GEMM', (d) => (d.layers[1].gemms.ffn = 'int8'), 'layers[1].gemms.ffn', /unknown field/],
    [
      'an unknown GEMM precision',
      (d) => (d.layers[1].gemms['ffn-output'] = 'int4'),
      'layers[1].gemms["ffn-output"]',
      /expected one of fp32, fp16, fp8, int8/,
    ],
    [
      'a layer the model does not have',
      (d) => d.layers.push({ precision: 'fp16' }),
      'layers[2]',
      /names layer 2, but model.numHiddenLayers is 2/,
    ],
    ['a missing layer', (d) => d.layers.pop(), 'layers', /expected 2 layers/],
    ['a negative latency', (d) => (d.predicted.latencyMs = -1), 'predicted.latencyMs', /≥ 0/],
    ['a fractional batch size', (d) => (d.predicted.batchSize = 1.5), 'predicted.batchSize', /integer/],
    [
      'a frontier point of the wrong length',
      (d) => d.frontier[1].layers.push('fp16'),
      'frontier[1].layers[2]',
      /names layer 2/,
    ],
    [
      'a frontier point without accuracy',
      (d) => delete d.frontier[0].accuracy,
      'frontier[0].accuracy',
      /finite number/,
    ],
    ['a bad date', (d) => (d.createdAt = '2024-13-45'), 'createdAt', /RFC 3339/],
  ];

  it.each(cases)('refuses %s, naming the field', (_title, change, field, problem) => {
    let error: unknown;
    try {
      parsePrecisionPlan(mutate(validPlan(), change), 'plans/bert.plan.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidPlanError);
    const e = error as InvalidPlanError;
    expect(e.code).toBe('SAMP_INVALID_PLAN');
    expect(e.source).toBe('plans/bert.plan.json');
    expect(e.field).toBe(field);
    expect(e.message).toMatch(problem);
  });

  it.each(
    cases.filter(
      ([title]) =>
        ![
          'a layer the model does not have',
          'a missing layer',
          'a frontier point of the wrong length',
          'a bad date',
        ].includes(title),
    ),
  )('the JSON schema refuses %s too', (_title, change) => {
    expect(validateSchema(mutate(validPlan(), change))).toBe(false);
  });
});
