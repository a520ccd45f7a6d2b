import type { EncoderInput, ModelConfig } from '@samp/core';
import { type Encoding, packBatch, type WordPieceTokenizer } from '@samp/tokenizer';
import { planBatches } from '../pipeline/plan-batches';

/** A text, or a text pair as a two-element tuple, as the tokenizer's `encodeAll` takes them. */
export type TokenizerInput = string | readonly [string, string];

/**
 * Tokenizes `inputs`, sorts them by length into batches of at most `batchSize` rows and packs each into
 * a padded encoder input (token types only for models that have segment embeddings).
 * @example
 * for (const batch of encoderBatches(tokenizer, model.config, ['a title', 'another'], 128, 32)) await session.run(batch);
 */
export function* encoderBatches(
  tokenizer: WordPieceTokenizer,
  config: ModelConfig,
  inputs: readonly TokenizerInput[],
  maxLength: number,
  batchSize: number,
): Generator<EncoderInput> {
  const withTypes = config.typeVocabSize > 1;
  const encodings = tokenizer.encodeAll(inputs, { maxLength, truncation: 'longest_first' });
  for (const indices of planBatches(
    encodings.map((e) => [e.length]),
    batchSize,
  )) {
    const batch = packBatch(
      indices.map((i) => encodings[i] as Encoding),
      indices,
      tokenizer.padId,
    );
    const input: EncoderInput = {
      inputIds: batch.ids,
      attentionMask: batch.attentionMask,
      batchSize: batch.batchSize,
      sequenceLength: batch.seqLength,
    };
    if (withTypes) input.tokenTypeIds = batch.typeIds;
    yield input;
  }
}
