// Test-only: a ModelConfig / ModelArtifacts-shaped description of a tiny BERT for unit tests of the
// specs and validators. It has no weights to read; nothing here runs a model.
import type { ModelArtifacts } from '../model/model-artifacts';
import type { ModelConfig } from '../model/model-config';

export function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    modelType: 'bert',
    vocabSize: 100,
    hiddenSize: 8,
    numAttentionHeads: 2,
    numHiddenLayers: 2,
    intermediateSize: 16,
    hiddenAct: 'gelu',
    layerNormEps: 1e-12,
    maxPositionEmbeddings: 16,
    positionEmbeddingType: 'absolute',
    positionOffset: 0,
    padTokenId: 0,
    typeVocabSize: 2,
    embeddingSize: 8,
    numHiddenGroups: 1,
    innerGroupNum: 1,
    architectures: ['BertModel'],
    id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' },
    label2id: { NEGATIVE: 0, POSITIVE: 1 },
    numLabels: 2,
    problemType: undefined,
    raw: {},
    ...overrides,
  };
}

export function tinyModel(overrides: Partial<ModelConfig> = {}, fingerprint = 'sha256:tiny'): ModelArtifacts {
  const tensors = new Map([
    [
      'layers.0.attention.query.weight',
      {
        name: 'bert.encoder.layer.0.attention.self.query.weight',
        dtype: 'F32' as const,
        shape: [8, 8],
        file: 'model.safetensors',
        byteOffset: 0,
        byteLength: 256,
      },
    ],
  ]);
  return {
    dir: '/nonexistent/tiny-bert',
    config: tinyConfig(overrides),
    fingerprint,
    tokenizer: undefined,
    weights: {
      store: {
        tensors,
        files: ['model.safetensors'],
        readBytes: () => Promise.reject(new Error('no weights in unit tests')),
        readFloat32: () => Promise.reject(new Error('no weights in unit tests')),
      },
      tensors,
      ignored: [],
      readFloat32: () => Promise.reject(new Error('no weights in unit tests')),
    },
  };
}
