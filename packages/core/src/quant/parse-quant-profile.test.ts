import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { InvalidProfileError } from '../errors';
import { parseQuantProfile } from './parse-quant-profile';
import { type Loose, mutate, validProfile } from './quant-documents.test-helper';
import { quantProfileJsonSchema } from './schema';

const validateSchema = new Ajv2020({
  strict: true,
  allowUnionTypes: true,
  validateFormats: false,
  allErrors: true,
}).compile(quantProfileJsonSchema);

describe('parseQuantProfile', () => {
  it('accepts a valid profile, and the JSON schema agrees', () => {
    const doc = validProfile();
    expect(parseQuantProfile(doc, 'p.json')).toEqual(doc);
    expect(validateSchema(doc)).toBe(true);
    const minimal = mutate(doc, (d) => {
      delete d.methodOptions;
      delete d.createdAt;
      delete d.weights;
      delete d.smoothing;
      d.activations = {};
    });
    expect(() => parseQuantProfile(minimal, 'p.json')).not.toThrow();
    expect(validateSchema(minimal)).toBe(true);
  });

  it('returns keys in canonical order, tensor names sorted with numeric layer order', () => {
    const doc = mutate(validProfile(), (d) => {
      d.activations['layers.10.attention.probs'] = { absMax: 1, scale: 1 / 127 };
      d.model.numHiddenLayers = 12;
    });
    const parsed = parseQuantProfile(doc, 'p.json');
    expect(Object.keys(parsed)).toEqual([
      'format',
      'version',
      'model',
      'method',
      'methodOptions',
      'createdAt',
      'activations',
      'weights',
      'smoothing',
    ]);
    expect(Object.keys(parsed.activations)).toEqual([
      'embeddings.output',
      'layers.0.attention.qkv.input',
      'layers.1.ffn.output.input',
      'layers.10.attention.probs',
    ]);
    expect(Object.keys(parsed.activations['layers.10.attention.probs'] ?? {})).toEqual(['scale', 'absMax']);
  });

  const cases: [string, (d: Loose) => void, string | undefined, RegExp][] = [
    ['not an object', (d) => Object.assign(d, { __replace: 42 }), undefined, /expected an object/],
    ['another format', (d) => (d.format = 'samp.precision-plan'), 'format', /is this a QuantProfile/],
    ['a newer version', (d) => (d.version = 2), 'version', /newer than this samp reads/],
    ['version as a string', (d) => (d.version = '1'), 'version', /expected 1/],
    ['an unknown top-level field', (d) => (d.activation = {}), 'activation', /unknown field/],
    ['no model', (d) => delete d.model, 'model', /expected an object, got nothing/],
    ['an empty fingerprint', (d) => (d.model.fingerprint = ''), 'model.fingerprint', /non-empty/],
    [
      'an unsupported model type',
      (d) => (d.model.modelType = 'gpt2'),
      'model.modelType',
      /expected one of bert/,
    ],
    ['a fractional layer count', (d) => (d.model.numHiddenLayers = 1.5), 'model.numHiddenLayers', /integer/],
    ['zero hidden size', (d) => (d.model.hiddenSize = 0), 'model.hiddenSize', /≥ 1/],
    ['an unknown method', (d) => (d.method = 'minmax'), 'method', /max, percentile, mse, entropy/],
    ['a percentile over 100', (d) => (d.methodOptions.percentile = 101), 'methodOptions.percentile', /≤ 100/],
    [
      'alpha over 1',
      (d) => (d.methodOptions.smoothQuantAlpha = 1.5),
      'methodOptions.smoothQuantAlpha',
      /≤ 1/,
    ],
    [
      'an object method option',
      (d) => (d.methodOptions.extra = {}),
      'methodOptions.extra',
      /string, boolean or finite number/,
    ],
    ['a malformed date', (d) => (d.createdAt = 'yesterday'), 'createdAt', /RFC 3339/],
    [
      'activations as an array',
      (d) => (d.activations = []),
      'activations',
      /expected an object, got an array/,
    ],
    [
      'an unknown tap',
      (d) => (d.activations['layers.0.attention.foo'] = { scale: 1 }),
      'activations["layers.0.attention.foo"]',
      /not an activation tensor name/,
    ],
    [
      'a layer past the model',
      (d) => (d.activations['layers.2.attention.probs'] = { scale: 1 }),
      'activations["layers.2.attention.probs"]',
      /names layer 2/,
    ],
    [
      'a zero scale',
      (d) => (d.activations['embeddings.output'].scale = 0),
      'activations["embeddings.output"].scale',
      /> 0/,
    ],
    [
      'a NaN-like scale',
      (d) => (d.activations['embeddings.output'].scale = 'NaN'),
      'activations["embeddings.output"].scale',
      /finite number/,
    ],
    [
      'a non-zero zero point',
      (d) => (d.activations['embeddings.output'].zeroPoint = 3),
      'activations["embeddings.output"].zeroPoint',
      /expected 0/,
    ],
    [
      'a negative absMax',
      (d) => (d.activations['embeddings.output'].absMax = -1),
      'activations["embeddings.output"].absMax',
      /≥ 0/,
    ],
    [
      'an extra activation field',
      (d) => (d.activations['embeddings.output'].min = -1),
      'activations["embeddings.output"].min',
      /unknown field/,
    ],
    [
      'a negative weight scale',
      (d) => (d.weights['layers.0.attention.query.weight'].perChannelScales[3] = -0.1),
      'weights["layers.0.attention.query.weight"].perChannelScales[3]',
      /> 0/,
    ],
    [
      'no weight scales',
      (d) => (d.weights['layers.0.attention.query.weight'].perChannelScales = []),
      'weights["layers.0.attention.query.weight"].perChannelScales',
      /non-empty/,
    ],
    [
      'smoothing on an unknown tensor',
      (d) => (d.smoothing.foo = [1]),
      'smoothing.foo',
      /not an activation tensor name/,
    ],
    [
      'a zero smoothing factor',
      (d) => (d.smoothing['layers.0.attention.qkv.input'][0] = 0),
      'smoothing["layers.0.attention.qkv.input"][0]',
      /> 0/,
    ],
  ];

  it.each(cases)('refuses %s, naming the field', (_title, change, field, problem) => {
    const doc = mutate(validProfile(), change);
    const input = (doc as Record<string, unknown>).__replace ?? doc;
    let error: unknown;
    try {
      parseQuantProfile(input, 'calib/profile.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidProfileError);
    const e = error as InvalidProfileError;
    expect(e.source).toBe('calib/profile.json');
    expect(e.field).toBe(field);
    expect(e.message).toMatch(problem);
    expect(e.message.startsWith('calib/profile.json')).toBe(true);
  });

  it.each(cases.filter(([title]) => !['a layer past the model', 'a malformed date'].includes(title)))(
    'the JSON schema refuses %s too',
    (_title, change) => {
      const doc = mutate(validProfile(), change);
      expect(validateSchema((doc as Record<string, unknown>).__replace ?? doc)).toBe(false);
    },
  );
});
