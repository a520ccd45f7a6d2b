import { InvalidArgumentError } from '../errors';
import type { ModelArtifacts } from '../model';

/**
 * The encoder's shape as the native backends take it (from `ModelConfig`): the one description both the
 * CPU and the CUDA addon read, so that they read a model the same way.
 */
export interface NativeEncoderConfig {
  vocabSize: number;
  hiddenSize: number;
  numAttentionHeads: number;
  numHiddenLayers: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  /** 0 when the model has no token-type table. */
  typeVocabSize: number;
  embeddingSize: number;
  /** Whether `embeddings.projection.{weight,bias}` (E→H) follow the embedding LayerNorm. */
  hasProjection: boolean;
  layerNormEps: number;
  hiddenAct: 'gelu' | 'gelu_new' | 'relu';
  padTokenId: number;
  /** RoBERTa / XLM-R position ids (from `padTokenId + 1`, padding ids get `padTokenId`). */
  paddingAwarePositions: boolean;
  /** Layer i runs the tensors stored under `layers.<layerSources[i]>.` (ALBERT shares layers). */
  layerSources: number[];
}

/** The per-layer canonical tensors the native encoders read (prefix `layers.<i>.`). */
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
 * For each layer, the first layer that reads the same stored tensors (ALBERT's shared layers map to one
 * source; every other architecture maps each layer to itself), so shared weights are read, copied,
 * packed or uploaded once.
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

/** The model's config in the native encoders' terms. */
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
 * Reads every tensor the native encoder needs (as FP32, whatever the checkpoint stores) with its config.
 * @throws InvalidArgumentError naming the model folder and the tensor when one is missing.
 * @example
 * const { config, tensors } = await readNativeWeights(model);
 */
export async function readNativeWeights(
  model: ModelArtifacts,
): Promise<{ config: NativeEncoderConfig; tensors: Record<string, Float32Array> }> {
  const config = nativeConfig(model);
  const tensors: Record<string, Float32Array> = {};
  for (const name of encoderTensorNames(config)) {
    if (!model.weights.tensors.has(name)) {
      throw new InvalidArgumentError('model', `${model.dir}: the weights have no tensor ${name}`);
    }
    tensors[name] = await model.weights.readFloat32(name);
  }
  return { config, tensors };
}
