import { GEMM_NAMES, GEMM_PRECISIONS, LAYER_PRECISIONS } from '../precision';

const layerPrecision = { enum: [...LAYER_PRECISIONS] } as const;

/**
 * JSON Schema (draft 2020-12) of a PrecisionPlan version 1 document, for editors and other languages.
 * `parsePrecisionPlan` checks the same rules and those the schema cannot express (exactly
 * `model.numHiddenLayers` entries in `layers` and in each frontier point, RFC 3339 dates).
 */
export const precisionPlanJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:samp:schema:precision-plan:1',
  title: 'samp PrecisionPlan',
  description: 'Per-layer (and per-GEMM) precision assignment for one model.',
  type: 'object',
  required: ['format', 'version', 'model', 'device', 'layers'],
  additionalProperties: false,
  properties: {
    format: { const: 'samp.precision-plan' },
    version: { const: 1 },
    model: {
      type: 'object',
      required: ['fingerprint', 'numHiddenLayers'],
      additionalProperties: false,
      properties: {
        fingerprint: { type: 'string', minLength: 1 },
        numHiddenLayers: { type: 'integer', minimum: 1 },
      },
    },
    device: { type: 'string', minLength: 1 },
    layers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['precision'],
        additionalProperties: false,
        properties: {
          precision: layerPrecision,
          gemms: {
            type: 'object',
            propertyNames: { enum: [...GEMM_NAMES] },
            additionalProperties: { enum: [...GEMM_PRECISIONS] },
          },
        },
      },
    },
    predicted: {
      type: 'object',
      additionalProperties: false,
      properties: {
        accuracy: { type: 'number' },
        accuracyDrop: { type: 'number' },
        latencyMs: { type: 'number', minimum: 0 },
        batchSize: { type: 'integer', minimum: 1 },
        sequenceLength: { type: 'integer', minimum: 1 },
      },
    },
    frontier: {
      type: 'array',
      items: {
        type: 'object',
        required: ['layers', 'accuracy', 'latencyMs'],
        additionalProperties: false,
        properties: {
          layers: { type: 'array', minItems: 1, items: layerPrecision },
          accuracy: { type: 'number' },
          latencyMs: { type: 'number', minimum: 0 },
        },
      },
    },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;
