import { InvalidArgumentError, type ModelArtifacts } from '@samp/core';
import type { NativeEncoderConfig, NativeLayerQuant, NativeSessionSpec } from './binding';

/** The per-layer canonical tensors the encoder reads (prefix `layers.<i>.`). */
export const LAYER_TENSORS = [
  'attention.query.weight',
  'attention.query.bias',
  'attention.key.weight',
  'attention.key.bias',
  'attention.value.weight',
  'attention.value.bias',
  'attention.output.weight',
  'attention.output.bias',
  'attention.norm.weight',
  'attention.norm.bias',
  'ffn.intermediate.weight',
  'ffn.intermediate.bias',
  'ffn.output.weight',
  'ffn.output.bias',
  'ffn.norm.weight',
  'ffn.norm.bias',
] as const;

/**
 * For each layer, the first layer that reads the same stored tensors (ALBERT's shared layers map
 * to one source; every other architecture maps each layer to itself), so shared weights are read,
 * copied and packed once.
 */
export function layerSources(model: ModelArtifacts): number[] {
  const firstByStoredName = new Map<string, number>();
  const sources: number[] = [];
  for (let i = 0; i < model.config.numHiddenLayers; i++) {
    const stored = LAYER_TENSORS.map(
      (t) => model.weights.tensors.get(`layers.${i}.${t}`)?.name ?? `?${i}`,
    ).join('|');
    const first = firstByStoredName.get(stored);
    if (first === undefined) firstByStoredName.set(stored, i);
    sources.push(first ?? i);
  }
  return sources;
}

/** The model's config in the native session's terms. */
export function nativeConfig(model: ModelArtifacts): NativeEncoderConfig {
  const c = model.config;
  return {
    vocabSize: c.vocabSize,
    hiddenSize: c.hiddenSize,
    numAttentionHeads: c.numAttentionHeads,
    numHiddenLayers: c.numHiddenLayers,
    intermediateSize: c.intermediateSize,
    maxPositionEmbeddings: c.maxPositionEmbeddings,
    typeVocabSize: c.typeVocabSize,
    embeddingSize: c.embeddingSize,
    hasProjection: model.weights.tensors.has('embeddings.projection.weight'),
    layerNormEps: c.layerNormEps,
    hiddenAct: c.hiddenAct,
    padTokenId: c.padTokenId,
    paddingAwarePositions: c.positionOffset > 0,
    layerSources: layerSources(model),
  };
}

/** Every canonical tensor name the encoder reads for `config` (embedding, then the distinct layers). */
export function encoderTensorNames(config: NativeEncoderConfig): string[] {
  const names = ['embeddings.word', 'embeddings.position', 'embeddings.norm.weight', 'embeddings.norm.bias'];
  if (config.typeVocabSize > 0) names.push('embeddings.token_type');
  if (config.hasProjection) names.push('embeddings.projection.weight', 'embeddings.projection.bias');
  for (const source of new Set(config.layerSources)) {
    for (const t of LAYER_TENSORS) names.push(`layers.${source}.${t}`);
  }
  return names;
}

/**
 * Reads every tensor the encoder needs through `model.weights.readFloat32` into a native session spec,
 * with the INT8 choices of `quant` (default: all FP32).
 * @throws InvalidArgumentError when the model lacks a tensor the encoder needs.
 */
export async function readSessionSpec(
  model: ModelArtifacts,
  threads: number,
  quant: {
    layerQuant?: NativeLayerQuant[] | undefined;
    weightScales?: Record<string, Float32Array> | undefined;
  } = {},
): Promise<NativeSessionSpec> {
  const config = nativeConfig(model);
  if (quant.layerQuant !== undefined) config.layerQuant = quant.layerQuant;
  const tensors: Record<string, Float32Array> = {};
  for (const name of encoderTensorNames(config)) {
    if (!model.weights.tensors.has(name)) {
      throw new InvalidArgumentError('model', `${model.dir}: the weights have no tensor ${name}`);
    }
    tensors[name] = await model.weights.readFloat32(name);
  }
  return {
    config,
    tensors,
    threads,
    ...(quant.weightScales === undefined ? {} : { weightScales: quant.weightScales }),
  };
}
