import { InvalidArgumentError, type ModelConfig } from '@samp/core';

/** What {@link embeddingRules} needs from a model's config (a `ModelConfig` fits). */
export type EmbeddingConfig = Pick<
  ModelConfig,
  | 'modelType'
  | 'vocabSize'
  | 'hiddenSize'
  | 'embeddingSize'
  | 'maxPositionEmbeddings'
  | 'positionOffset'
  | 'padTokenId'
  | 'typeVocabSize'
  | 'layerNormEps'
>;

/**
 * How position ids are made: `sequential` (0…n−1 in every row: BERT, ELECTRA, DistilBERT, ALBERT) or
 * `padding-aware` (RoBERTa, XLM-R: Hugging Face's `create_position_ids_from_input_ids`).
 */
export type PositionIdRule = 'sequential' | 'padding-aware';

/** The embedding stage of one architecture, as every backend must implement it. */
export interface EmbeddingRules {
  readonly positionIds: PositionIdRule;
  /** The pad token id the `padding-aware` rule compares against. */
  readonly padTokenId: number;
  /** Whether a token-type (segment) table is added; DistilBERT has none. */
  readonly tokenTypes: boolean;
  /** Width of the tables (E). */
  readonly embeddingSize: number;
  /** Width of the encoder (H). */
  readonly hiddenSize: number;
  /**
   * Whether a Linear E→H (`embeddings.projection`) follows the LayerNorm: always for ALBERT, for ELECTRA
   * when E ≠ H.
   */
  readonly projection: boolean;
  readonly layerNormEps: number;
}

/**
 * The embedding rules of a model's architecture.
 * @example
 * embeddingRules(model.config); // { positionIds: 'padding-aware', padTokenId: 1, tokenTypes: true, … } for RoBERTa
 */
export function embeddingRules(config: EmbeddingConfig): EmbeddingRules {
  const projection =
    config.modelType === 'albert' ||
    (config.modelType === 'electra' && config.embeddingSize !== config.hiddenSize);
  return {
    positionIds: config.positionOffset > 0 ? 'padding-aware' : 'sequential',
    padTokenId: config.padTokenId,
    tokenTypes: config.typeVocabSize > 0,
    embeddingSize: config.embeddingSize,
    hiddenSize: config.hiddenSize,
    projection,
    layerNormEps: config.layerNormEps,
  };
}

/**
 * Position ids of a padded batch `[batchSize, sequenceLength]`, exactly as transformers computes them:
 * `sequential` gives 0…n−1 in every row; `padding-aware` gives `cumsum(ids ≠ pad) · (ids ≠ pad) + pad`,
 * so the real tokens count from `padTokenId + 1` and every token equal to `padTokenId` (padding, or a pad
 * id inside the text) gets `padTokenId`. It reads the ids, not the attention mask, as transformers does.
 * @example
 * positionIds(rules, Int32Array.of(0, 5, 6, 2, 1, 1), 1, 6); // RoBERTa (pad 1): [2, 3, 4, 5, 1, 1]
 */
export function positionIds(
  rules: Pick<EmbeddingRules, 'positionIds' | 'padTokenId'>,
  inputIds: Int32Array,
  batchSize: number,
  sequenceLength: number,
): Int32Array {
  if (inputIds.length !== batchSize * sequenceLength) {
    throw new InvalidArgumentError(
      'inputIds',
      `has ${inputIds.length} elements, expected batchSize × sequenceLength = ${batchSize * sequenceLength}`,
    );
  }
  const out = new Int32Array(inputIds.length);
  for (let row = 0; row < batchSize; row++) {
    const base = row * sequenceLength;
    let counted = 0;
    for (let i = 0; i < sequenceLength; i++) {
      if (rules.positionIds === 'sequential') {
        out[base + i] = i;
      } else if (inputIds[base + i] === rules.padTokenId) {
        out[base + i] = rules.padTokenId;
      } else {
        counted++;
        out[base + i] = rules.padTokenId + counted;
      }
    }
  }
  return out;
}
