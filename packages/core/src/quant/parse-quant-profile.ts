import { InvalidProfileError } from '../errors';
import { SUPPORTED_MODEL_TYPES } from '../model/model-config';
import { DocumentReader, describeValue, fieldPath, sortedEntries } from './document-reader';
import {
  type ActivationScale,
  CALIBRATION_METHODS,
  type CalibrationMethodOptions,
  QUANT_PROFILE_FORMAT,
  QUANT_PROFILE_VERSION,
  type QuantProfile,
  type WeightScales,
} from './quant-profile';
import { parseActivationTensorName } from './tensor-names';

const TOP_LEVEL = [
  'format',
  'version',
  'model',
  'method',
  'methodOptions',
  'createdAt',
  'activations',
  'weights',
  'smoothing',
];

/**
 * Validates a parsed QuantProfile document and returns a copy with its keys in canonical order.
 * Throws {@link InvalidProfileError} naming `source` (usually the file), the field path
 * (`activations["layers.3.attention.scores"].scale`) and what was expected.
 * @param json the parsed JSON.
 * @param source where the document came from, for error messages.
 * @example
 * const profile = parseQuantProfile(JSON.parse(text), 'profile.json');
 */
export function parseQuantProfile(json: unknown, source: string): QuantProfile {
  const r: DocumentReader = new DocumentReader((path, problem) => {
    throw new InvalidProfileError(source, path === '' ? undefined : path, problem);
  });
  const doc = r.object(json, '');
  // Format and version first: a document of another kind or a newer version gets a clear message
  // rather than a complaint about its first unknown field.
  if (doc.format !== QUANT_PROFILE_FORMAT) {
    r.fail(
      'format',
      `expected ${JSON.stringify(QUANT_PROFILE_FORMAT)} (is this a QuantProfile?), got ${describeValue(doc.format)}`,
    );
  }
  if (typeof doc.version === 'number' && doc.version > QUANT_PROFILE_VERSION) {
    r.fail(
      'version',
      `version ${doc.version} is newer than this samp reads (${QUANT_PROFILE_VERSION}); upgrade samp`,
    );
  }
  r.literal(doc.version, 'version', QUANT_PROFILE_VERSION);
  r.object(doc, '', TOP_LEVEL);

  const m = r.object(doc.model, 'model', ['fingerprint', 'modelType', 'numHiddenLayers', 'hiddenSize']);
  const model = {
    fingerprint: r.string(m.fingerprint, 'model.fingerprint', { nonEmpty: true }),
    modelType: r.oneOf(m.modelType, 'model.modelType', SUPPORTED_MODEL_TYPES),
    numHiddenLayers: r.number(m.numHiddenLayers, 'model.numHiddenLayers', { integer: true, min: 1 }),
    hiddenSize: r.number(m.hiddenSize, 'model.hiddenSize', { integer: true, min: 1 }),
  };

  // Built field by field in canonical order: the parsed copy is what gets written, so its key order is
  // the file's.
  const head: Omit<QuantProfile, 'activations'> = {
    format: QUANT_PROFILE_FORMAT,
    version: QUANT_PROFILE_VERSION,
    model,
    method: r.oneOf(doc.method, 'method', CALIBRATION_METHODS),
  };
  if (doc.methodOptions !== undefined) head.methodOptions = readMethodOptions(r, doc.methodOptions);
  if (doc.createdAt !== undefined) head.createdAt = r.dateTime(doc.createdAt, 'createdAt');
  const profile: QuantProfile = { ...head, activations: {} };

  const checkTensor = (name: string, path: string): void => {
    const parsed = parseActivationTensorName(name);
    if (parsed === undefined) {
      r.fail(path, 'not an activation tensor name (expected embeddings.output or layers.<i>.<tap>)');
    }
    if (parsed.kind === 'layer' && parsed.layer >= model.numHiddenLayers) {
      r.fail(path, `names layer ${parsed.layer}, but model.numHiddenLayers is ${model.numHiddenLayers}`);
    }
  };

  for (const [name, value] of sortedEntries(r.object(doc.activations, 'activations'))) {
    const path = fieldPath('activations', name);
    checkTensor(name, path);
    const a = r.object(value, path, ['scale', 'zeroPoint', 'absMax']);
    const entry: ActivationScale = {
      scale: r.number(a.scale, fieldPath(path, 'scale'), { exclusiveMin: 0 }),
    };
    if (a.zeroPoint !== undefined) entry.zeroPoint = r.literal(a.zeroPoint, fieldPath(path, 'zeroPoint'), 0);
    if (a.absMax !== undefined) entry.absMax = r.number(a.absMax, fieldPath(path, 'absMax'), { min: 0 });
    profile.activations[name] = entry;
  }

  if (doc.weights !== undefined) {
    const weights: Record<string, WeightScales> = {};
    for (const [name, value] of sortedEntries(r.object(doc.weights, 'weights'))) {
      const path = fieldPath('weights', name);
      const w = r.object(value, path, ['perChannelScales']);
      weights[name] = {
        perChannelScales: r.positiveNumbers(w.perChannelScales, fieldPath(path, 'perChannelScales')),
      };
    }
    profile.weights = weights;
  }

  if (doc.smoothing !== undefined) {
    const smoothing: Record<string, number[]> = {};
    for (const [name, value] of sortedEntries(r.object(doc.smoothing, 'smoothing'))) {
      const path = fieldPath('smoothing', name);
      checkTensor(name, path);
      smoothing[name] = r.positiveNumbers(value, path);
    }
    profile.smoothing = smoothing;
  }
  return profile;
}

function readMethodOptions(r: DocumentReader, value: unknown): CalibrationMethodOptions {
  const o = r.object(value, 'methodOptions');
  const out: CalibrationMethodOptions = {};
  for (const [key, v] of Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const path = fieldPath('methodOptions', key);
    if (key === 'percentile') out.percentile = r.number(v, path, { exclusiveMin: 0, max: 100 });
    else if (key === 'smoothQuantAlpha') out.smoothQuantAlpha = r.number(v, path, { min: 0, max: 1 });
    else if (key === 'numBins') out.numBins = r.number(v, path, { integer: true, min: 1 });
    else if (
      typeof v === 'string' ||
      typeof v === 'boolean' ||
      (typeof v === 'number' && Number.isFinite(v))
    ) {
      out[key] = v;
    } else r.fail(path, `expected a string, boolean or finite number, got ${describeValue(v)}`);
  }
  return out;
}
