import {
  type EncoderInput,
  InvalidArgumentError,
  type ModelConfig,
  type ModelWeights,
  validateEncoderInput,
} from '@samp/core';
import { embeddingRules, positionIds } from './embedding-rules';
import type {
  EmbeddingTables,
  FusedEmbeddingContract,
  FusedEmbeddingRequest,
  FusedEmbeddingResult,
} from './fused-embedding-contract';

/**
 * Reads the embedding tables of a model (`embeddings.*` canonical tensors) as Float32.
 * @example
 * const tables = await loadEmbeddingTables(model.weights, model.config);
 */
export async function loadEmbeddingTables(
  weights: ModelWeights,
  config: ModelConfig,
): Promise<EmbeddingTables> {
  const rules = embeddingRules(config);
  const [word, position, normWeight, normBias] = await Promise.all([
    weights.readFloat32('embeddings.word'),
    weights.readFloat32('embeddings.position'),
    weights.readFloat32('embeddings.norm.weight'),
    weights.readFloat32('embeddings.norm.bias'),
  ]);
  const tables: {
    -readonly [K in keyof EmbeddingTables]: EmbeddingTables[K];
  } = { word, position, normWeight, normBias };
  if (rules.tokenTypes) tables.tokenType = await weights.readFloat32('embeddings.token_type');
  if (rules.projection) {
    tables.projectionWeight = await weights.readFloat32('embeddings.projection.weight');
    tables.projectionBias = await weights.readFloat32('embeddings.projection.bias');
  }
  return tables;
}

/** Symmetric int8 quantization with ties to even, as the contract's quantize epilogue defines it. */
export function quantizeInt8(x: Float32Array | Float64Array, scale: number): Int8Array {
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new InvalidArgumentError('quantize.scale', `expected a positive finite number, got ${scale}`);
  }
  const out = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = (x[i] as number) / scale;
    let r = Math.round(v);
    if (Math.abs(v % 1) === 0.5 && r % 2 !== 0) r -= 1; // Math.round sends ties up; make them even
    out[i] = Math.max(-127, Math.min(127, r));
  }
  return out;
}

/**
 * The fused-embedding contract in TypeScript, accumulating in float64: the reference every backend's
 * kernel is tested against.
 */
export const referenceFusedEmbedding: FusedEmbeddingContract = {
  embed(request: FusedEmbeddingRequest): FusedEmbeddingResult {
    const { tables, embeddingSize: e, hiddenSize: h, tokens, layerNormEps: eps } = request;
    const projected = tables.projectionWeight !== undefined;
    const width = projected ? h : e;
    if (!projected && e !== h) {
      throw new InvalidArgumentError(
        'tables',
        `embeddingSize ${e} differs from hiddenSize ${h} but there is no projection`,
      );
    }
    const vocab = tables.word.length / e;
    const maxPositions = tables.position.length / e;
    const typeVocab = tables.tokenType === undefined ? 0 : tables.tokenType.length / e;
    const out = new Float64Array(tokens * width);
    const row = new Float64Array(e);
    for (let t = 0; t < tokens; t++) {
      const id = request.inputIds[t] as number;
      const pos = request.positionIds[t] as number;
      const type = request.tokenTypeIds?.[t] ?? 0;
      if (id < 0 || id >= vocab)
        throw new InvalidArgumentError(`inputIds[${t}]`, `${id} is outside 0…${vocab - 1}`);
      if (pos < 0 || pos >= maxPositions) {
        throw new InvalidArgumentError(`positionIds[${t}]`, `${pos} is outside 0…${maxPositions - 1}`);
      }
      if (typeVocab > 0 && (type < 0 || type >= typeVocab)) {
        throw new InvalidArgumentError(`tokenTypeIds[${t}]`, `${type} is outside 0…${typeVocab - 1}`);
      }
      let mean = 0;
      for (let j = 0; j < e; j++) {
        let v = (tables.word[id * e + j] as number) + (tables.position[pos * e + j] as number);
        if (tables.tokenType !== undefined) v += tables.tokenType[type * e + j] as number;
        row[j] = v;
        mean += v;
      }
      mean /= e;
      let variance = 0;
      for (let j = 0; j < e; j++) variance += ((row[j] as number) - mean) ** 2;
      const inv = 1 / Math.sqrt(variance / e + eps);
      for (let j = 0; j < e; j++) {
        row[j] =
          ((row[j] as number) - mean) * inv * (tables.normWeight[j] as number) +
          (tables.normBias[j] as number);
      }
      if (!projected) {
        out.set(row, t * width);
        continue;
      }
      const w = tables.projectionWeight as Float32Array;
      const b = tables.projectionBias;
      for (let o = 0; o < h; o++) {
        let s = b === undefined ? 0 : (b[o] as number);
        for (let j = 0; j < e; j++) s += (w[o * e + j] as number) * (row[j] as number);
        out[t * width + o] = s;
      }
    }
    if (request.quantize !== undefined) {
      return {
        kind: 'int8',
        data: quantizeInt8(out, request.quantize.scale),
        width,
        scale: request.quantize.scale,
      };
    }
    return { kind: 'float32', data: Float32Array.from(out), width };
  },
};

/** Options of {@link computeEmbeddings}. */
export interface ComputeEmbeddingsOptions {
  /**
   * Stop after the LayerNorm, before any projection: the `embeddings.output` activation tap (width E).
   * Default false: the encoder's input, `hidden_states[0]` (width H).
   */
  beforeProjection?: boolean;
}

/**
 * The embedding stage of a padded batch in TypeScript (float64 accumulation): `[batchSize,
 * sequenceLength, H]`, equal to Hugging Face's `hidden_states[0]` at every position, padded ones included.
 * @throws InvalidArgumentError / InputTooLongError for malformed input (`validateEncoderInput`).
 * @example
 * const h0 = await computeEmbeddings(model.weights, model.config, batch);
 */
export async function computeEmbeddings(
  weights: ModelWeights,
  config: ModelConfig,
  input: EncoderInput,
  options: ComputeEmbeddingsOptions = {},
): Promise<Float32Array> {
  validateEncoderInput(input, config);
  const rules = embeddingRules(config);
  const tables = await loadEmbeddingTables(weights, config);
  const project = rules.projection && options.beforeProjection !== true;
  const result = referenceFusedEmbedding.embed({
    tables: project ? tables : { ...tables, projectionWeight: undefined, projectionBias: undefined },
    embeddingSize: rules.embeddingSize,
    hiddenSize: project ? rules.hiddenSize : rules.embeddingSize,
    tokens: input.batchSize * input.sequenceLength,
    inputIds: input.inputIds,
    positionIds: positionIds(rules, input.inputIds, input.batchSize, input.sequenceLength),
    ...(rules.tokenTypes && input.tokenTypeIds !== undefined ? { tokenTypeIds: input.tokenTypeIds } : {}),
    layerNormEps: rules.layerNormEps,
  });
  return result.data as Float32Array;
}
