import { InputTooLongError, InvalidArgumentError } from '../errors';
import type { ModelConfig } from '../model/model-config';
import type { EncoderInput } from './encoder-backend';

/** What {@link validateEncoderInput} needs from a model's config (a `ModelConfig` fits). */
export type InputLimits = Pick<
  ModelConfig,
  'vocabSize' | 'typeVocabSize' | 'maxPositionEmbeddings' | 'positionOffset'
>;

/**
 * The most padded tokens (`batchSize × sequenceLength`) one encoder run takes unless a backend sets its
 * own limit: 65,536, e.g. 128 rows of 512 tokens or 2,048 rows of 32. A run's memory grows with it
 * (on the CPU backend 12.8 KB a token measured for the 4-layer demo model, ~0.8 GB at the limit; about
 * 36 KB a token estimated for BERT-base, ~2.4 GB), so a larger batch is refused with a typed error
 * before anything is allocated; callers split it into runs of at most {@link maxRowsPerRun} rows, as
 * `pipeline()` does.
 */
export const MAX_TOKENS_PER_RUN = 65_536;

/** Limits of {@link validateEncoderInput} beyond the model's own. */
export interface EncoderRunLimits {
  /**
   * Padded tokens (`batchSize × sequenceLength`) one run may take (default {@link MAX_TOKENS_PER_RUN});
   * a backend with more memory may pass a larger value.
   */
  maxTokensPerRun?: number;
}

/**
 * How many rows of `sequenceLength` tokens fit in one run: at least 1, so that a caller splitting a
 * batch always makes progress (a row longer than the limit is then refused on its own).
 * @param maxTokensPerRun the limit (default {@link MAX_TOKENS_PER_RUN}).
 * @example
 * maxRowsPerRun(512); // 128
 */
export function maxRowsPerRun(sequenceLength: number, maxTokensPerRun: number = MAX_TOKENS_PER_RUN): number {
  return Math.max(1, Math.floor(maxTokensPerRun / Math.max(1, sequenceLength)));
}

/**
 * The longest sequence a model accepts: its position table less the positions RoBERTa-style models
 * reserve before the first token.
 */
export function maxSequenceLength(config: InputLimits): number {
  return config.maxPositionEmbeddings - config.positionOffset;
}

/**
 * Checks a batch before a backend runs it, so that every backend refuses the same inputs with the same
 * errors: shapes, array types, ids within the vocabulary, token-type ids within the type vocabulary, a
 * 0/1 mask whose padding only follows each row's tokens, a sequence length within the model's
 * positions, and at most `limits.maxTokensPerRun` padded tokens (default {@link MAX_TOKENS_PER_RUN}).
 * The sizes are checked before any element is read. Backends call it at the top of `run`.
 * @param limits `maxTokensPerRun` (default {@link MAX_TOKENS_PER_RUN}).
 * @throws InvalidArgumentError naming the field (and element) at fault.
 * @throws InputTooLongError when `sequenceLength` exceeds the model's position table, or the batch
 *   exceeds `maxTokensPerRun` (naming the limit).
 * @example
 * async run(input) {
 *   validateEncoderInput(input, this.model.config);
 *   …
 * }
 */
export function validateEncoderInput(
  input: EncoderInput,
  config: InputLimits,
  limits: EncoderRunLimits = {},
): void {
  if (typeof input !== 'object' || input === null)
    throw new InvalidArgumentError('input', 'expected an EncoderInput object');
  const { batchSize, sequenceLength } = input;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidArgumentError('batchSize', `expected a positive integer, got ${String(batchSize)}`);
  }
  if (!Number.isInteger(sequenceLength) || sequenceLength < 1) {
    throw new InvalidArgumentError(
      'sequenceLength',
      `expected a positive integer, got ${String(sequenceLength)}`,
    );
  }
  const limit = maxSequenceLength(config);
  if (sequenceLength > limit) throw new InputTooLongError('sequenceLength', sequenceLength, limit);
  const maxTokens = limits.maxTokensPerRun ?? MAX_TOKENS_PER_RUN;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new InvalidArgumentError(
      'maxTokensPerRun',
      `expected a positive integer, got ${String(maxTokens)}`,
    );
  }
  const size = batchSize * sequenceLength;
  if (size > maxTokens) {
    throw new InputTooLongError(
      `batchSize × sequenceLength (${batchSize} × ${sequenceLength} padded tokens in one run; split it into runs of at most ${maxRowsPerRun(sequenceLength, maxTokens)} rows)`,
      size,
      maxTokens,
    );
  }

  const ids = checkArray(input.inputIds, 'inputIds', size);
  const mask = checkArray(input.attentionMask, 'attentionMask', size);
  const types =
    input.tokenTypeIds === undefined ? undefined : checkArray(input.tokenTypeIds, 'tokenTypeIds', size);

  for (let i = 0; i < size; i++) {
    const id = ids[i] as number;
    if (id < 0 || id >= config.vocabSize) {
      throw new InvalidArgumentError(
        `inputIds[${i}]`,
        `token id ${id} is outside the vocabulary (0…${config.vocabSize - 1})`,
      );
    }
    const m = mask[i] as number;
    if (m !== 0 && m !== 1)
      throw new InvalidArgumentError(`attentionMask[${i}]`, `expected 0 or 1, got ${m}`);
    if (types !== undefined) {
      const t = types[i] as number;
      // Models without segment embeddings (typeVocabSize 0) accept only zeros.
      const typeLimit = Math.max(config.typeVocabSize, 1);
      if (t < 0 || t >= typeLimit) {
        throw new InvalidArgumentError(
          `tokenTypeIds[${i}]`,
          `token type id ${t} is outside 0…${typeLimit - 1}`,
        );
      }
    }
  }
  for (let row = 0; row < batchSize; row++) {
    const base = row * sequenceLength;
    if (mask[base] !== 1) {
      throw new InvalidArgumentError(
        `attentionMask[${base}]`,
        `row ${row} must start with a real token (mask 1): empty rows and left padding are not supported`,
      );
    }
    let padded = false;
    for (let j = 1; j < sequenceLength; j++) {
      if (mask[base + j] === 0) padded = true;
      else if (padded) {
        throw new InvalidArgumentError(
          `attentionMask[${base + j}]`,
          `row ${row} has a real token after padding; padding must follow the tokens`,
        );
      }
    }
  }
}

function checkArray(value: unknown, field: string, size: number): Int32Array {
  // toString rather than instanceof, so arrays from another realm (vm, worker) pass.
  if (Object.prototype.toString.call(value) !== '[object Int32Array]') {
    const got =
      value === undefined
        ? 'nothing'
        : value === null
          ? 'null'
          : ((value as object).constructor?.name ?? typeof value);
    throw new InvalidArgumentError(field, `expected an Int32Array, got ${got}`);
  }
  const array = value as Int32Array;
  if (array.length !== size) {
    throw new InvalidArgumentError(
      field,
      `has ${array.length} elements, expected batchSize × sequenceLength = ${size}`,
    );
  }
  return array;
}
