// Test-only: valid QuantProfile and PrecisionPlan documents for the validator and file tests.
import type { PrecisionPlan } from './precision-plan';
import type { QuantProfile } from './quant-profile';

export function validProfile(): QuantProfile {
  return {
    format: 'samp.quant-profile',
    version: 1,
    model: { fingerprint: 'sha256:tiny', modelType: 'bert', numHiddenLayers: 2, hiddenSize: 8 },
    method: 'percentile',
    methodOptions: {
      percentile: 99.99,
      smoothQuantAlpha: 0.5,
      numBins: 2048,
      note: 'calibrated on 512 sentences',
    },
    createdAt: '2024-05-01T12:00:00Z',
    activations: {
      'layers.1.ffn.output.input': { scale: 0.02, absMax: 2.54 },
      'embeddings.output': { scale: 0.03, zeroPoint: 0 },
      'layers.0.attention.qkv.input': { scale: 0.03 },
    },
    weights: {
      'layers.0.attention.query.weight': {
        perChannelScales: [0.01, 0.01, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01],
      },
    },
    smoothing: { 'layers.0.attention.qkv.input': [1, 1, 1, 2, 1, 1, 1, 0.5] },
  };
}

export function validPlan(): PrecisionPlan {
  return {
    format: 'samp.precision-plan',
    version: 1,
    model: { fingerprint: 'sha256:tiny', numHiddenLayers: 2 },
    device: 'cuda',
    layers: [{ precision: 'int8-full' }, { precision: 'int8-ffn', gemms: { 'ffn-output': 'fp16' } }],
    predicted: { accuracy: 0.91, accuracyDrop: 0.004, latencyMs: 1.8, batchSize: 8, sequenceLength: 128 },
    frontier: [
      { layers: ['fp16', 'fp16'], accuracy: 0.914, latencyMs: 2.9 },
      { layers: ['int8-full', 'int8-ffn'], accuracy: 0.91, latencyMs: 1.8 },
    ],
    createdAt: '2024-05-01T12:00:00.123+02:00',
  };
}

/** A JSON document open to any change, for building malformed cases. */
// biome-ignore lint/suspicious/noExplicitAny: malformed-document cases reach into the document freely.
export type Loose = Record<string, any>;

/** A deep copy with one change applied, for malformed-document cases. */
export function mutate<T>(doc: T, change: (copy: Loose) => void): unknown {
  const copy = structuredClone(doc) as Loose;
  change(copy);
  return copy;
}
