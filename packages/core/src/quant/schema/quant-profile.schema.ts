import { SUPPORTED_MODEL_TYPES } from '../../model/model-config';
import { CALIBRATION_METHODS } from '../quant-profile';
import { LAYER_ACTIVATION_TAPS } from '../tensor-names';

const positiveNumbers = {
  type: 'array',
  minItems: 1,
  items: { type: 'number', exclusiveMinimum: 0 },
} as const;

/** Matches every activation tensor name of the convention in `LAYER_ACTIVATION_TAPS`. */
export const ACTIVATION_TENSOR_NAME_PATTERN = `^(embeddings\\.output|layers\\.(0|[1-9][0-9]*)\\.(${LAYER_ACTIVATION_TAPS.map(
  (t) => t.replaceAll('.', '\\.'),
).join('|')}))$`;

/**
 * JSON Schema (draft 2020-12) of a QuantProfile version 1 document, for editors and other languages.
 * `parseQuantProfile` checks the same rules and a few the schema cannot express (layer indices below
 * `model.numHiddenLayers`, RFC 3339 dates).
 */
export const quantProfileJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:samp:schema:quant-profile:1',
  title: 'samp QuantProfile',
  description:
    'INT8 calibration result for one model: activation scales by tensor name, optional weight scales and SmoothQuant factors.',
  type: 'object',
  required: ['format', 'version', 'model', 'method', 'activations'],
  additionalProperties: false,
  properties: {
    format: { const: 'samp.quant-profile' },
    version: { const: 1 },
    model: {
      type: 'object',
      required: ['fingerprint', 'modelType', 'numHiddenLayers', 'hiddenSize'],
      additionalProperties: false,
      properties: {
        fingerprint: { type: 'string', minLength: 1 },
        modelType: { enum: [...SUPPORTED_MODEL_TYPES] },
        numHiddenLayers: { type: 'integer', minimum: 1 },
        hiddenSize: { type: 'integer', minimum: 1 },
      },
    },
    method: { enum: [...CALIBRATION_METHODS] },
    methodOptions: {
      type: 'object',
      properties: {
        percentile: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
        smoothQuantAlpha: { type: 'number', minimum: 0, maximum: 1 },
        numBins: { type: 'integer', minimum: 1 },
      },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    createdAt: { type: 'string', format: 'date-time' },
    activations: {
      type: 'object',
      propertyNames: { pattern: ACTIVATION_TENSOR_NAME_PATTERN },
      additionalProperties: {
        type: 'object',
        required: ['scale'],
        additionalProperties: false,
        properties: {
          scale: { type: 'number', exclusiveMinimum: 0 },
          zeroPoint: { const: 0 },
          absMax: { type: 'number', minimum: 0 },
        },
      },
    },
    weights: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['perChannelScales'],
        additionalProperties: false,
        properties: { perChannelScales: positiveNumbers },
      },
    },
    smoothing: {
      type: 'object',
      propertyNames: { pattern: ACTIVATION_TENSOR_NAME_PATTERN },
      additionalProperties: positiveNumbers,
    },
  },
} as const;
