import { InputTooLongError, InvalidArgumentError } from '../errors';
import type { ModelConfig } from '../model/model-config';
import type { EncoderInput } from './encoder-backend';

/** What {@link validateEncoderInput} needs from a model's config (a `ModelConfig` fits). */
export type InputLimits = Pick<
  ModelConfig,
  'vocabSize' | 'typeVocabSize' | 'maxPositionEmbeddings' | 'positionOffset'
>;

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
 * 0/1 mask whose padding only follows each row's tokens, and a sequence length within the model's
 * positions. Backends call it at the top of `run`.
 * @throws InvalidArgumentError naming the field (and element) at fault.
 * @throws InputTooLongError when `sequenceLength` exceeds the model's position table.
 * @example
 * async run(input) {
 *   validateEncoderInput(input, this.model.config);
 *   …
 * }
 */
export function validateEncoderInput(input: EncoderInput, config: InputLimits): void {
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

  const size = batchSize * sequenceLength;
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
