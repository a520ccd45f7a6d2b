import { describe, expect, it } from 'vitest';
import { InputTooLongError, InvalidArgumentError } from '../errors';
import { tinyConfig } from '../testing/test-model.test-helper';
import type { EncoderInput } from './encoder-backend';
import { maxSequenceLength, validateEncoderInput } from './validate-encoder-input';

const config = tinyConfig();

function batch(overrides: Partial<EncoderInput> = {}): EncoderInput {
  return {
    inputIds: Int32Array.of(1, 5, 2, 0, 1, 6, 7, 2),
    attentionMask: Int32Array.of(1, 1, 1, 0, 1, 1, 1, 1),
    tokenTypeIds: Int32Array.of(0, 0, 0, 0, 0, 0, 1, 1),
    batchSize: 2,
    sequenceLength: 4,
    ...overrides,
  };
}

function argumentOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as InvalidArgumentError).argument;
  }
  return undefined;
}

describe('validateEncoderInput', () => {
  it('accepts a well-formed padded batch, with or without token types', () => {
    expect(() => validateEncoderInput(batch(), config)).not.toThrow();
    expect(() => validateEncoderInput(batch({ tokenTypeIds: undefined }), config)).not.toThrow();
  });

  it('names the field of a bad shape or type', () => {
    expect(argumentOf(() => validateEncoderInput(batch({ batchSize: 0 }), config))).toBe('batchSize');
    expect(argumentOf(() => validateEncoderInput(batch({ sequenceLength: 2.5 }), config))).toBe(
      'sequenceLength',
    );
    expect(
      argumentOf(() => validateEncoderInput(batch({ inputIds: [1, 2] as unknown as Int32Array }), config)),
    ).toBe('inputIds');
    expect(argumentOf(() => validateEncoderInput(batch({ inputIds: new Int32Array(7) }), config))).toBe(
      'inputIds',
    );
    expect(argumentOf(() => validateEncoderInput(batch({ attentionMask: new Int32Array(3) }), config))).toBe(
      'attentionMask',
    );
    expect(argumentOf(() => validateEncoderInput(batch({ tokenTypeIds: new Int32Array(9) }), config))).toBe(
      'tokenTypeIds',
    );
    expect(
      argumentOf(() =>
        validateEncoderInput(batch({ attentionMask: new Float32Array(8) as unknown as Int32Array }), config),
      ),
    ).toBe('attentionMask');
  });

  it('refuses ids outside the vocabulary and type ids outside the type vocabulary', () => {
    expect(
      argumentOf(() =>
        validateEncoderInput(batch({ inputIds: Int32Array.of(1, 100, 2, 0, 1, 6, 7, 2) }), config),
      ),
    ).toBe('inputIds[1]');
    expect(
      argumentOf(() =>
        validateEncoderInput(batch({ inputIds: Int32Array.of(1, 5, 2, 0, 1, -3, 7, 2) }), config),
      ),
    ).toBe('inputIds[5]');
    expect(
      argumentOf(() =>
        validateEncoderInput(batch({ tokenTypeIds: Int32Array.of(0, 0, 0, 0, 0, 0, 2, 0) }), config),
      ),
    ).toBe('tokenTypeIds[6]');
    // DistilBERT-like models have no segment embedding: only zeros are accepted.
    const noTypes = tinyConfig({ typeVocabSize: 0 });
    expect(() => validateEncoderInput(batch({ tokenTypeIds: new Int32Array(8) }), noTypes)).not.toThrow();
    expect(argumentOf(() => validateEncoderInput(batch(), noTypes))).toBe('tokenTypeIds[6]');
  });

  it('refuses a mask that is not 0/1, an empty row, or padding before tokens', () => {
    expect(
      argumentOf(() =>
        validateEncoderInput(batch({ attentionMask: Int32Array.of(1, 2, 1, 0, 1, 1, 1, 1) }), config),
      ),
    ).toBe('attentionMask[1]');
    expect(
      argumentOf(() =>
        validateEncoderInput(batch({ attentionMask: Int32Array.of(1, 1, 1, 0, 0, 0, 0, 0) }), config),
      ),
    ).toBe('attentionMask[4]');
    expect(
      argumentOf(() =>
        validateEncoderInput(batch({ attentionMask: Int32Array.of(1, 0, 1, 0, 1, 1, 1, 1) }), config),
      ),
    ).toBe('attentionMask[2]');
  });

  it('throws InputTooLongError past the position table, minus RoBERTa’s offset', () => {
    const long = (n: number): EncoderInput => ({
      inputIds: new Int32Array(n),
      attentionMask: new Int32Array(n).fill(1),
      batchSize: 1,
      sequenceLength: n,
    });
    expect(() => validateEncoderInput(long(16), config)).not.toThrow();
    expect(() => validateEncoderInput(long(17), config)).toThrow(InputTooLongError);
    const roberta = tinyConfig({
      modelType: 'roberta',
      maxPositionEmbeddings: 18,
      positionOffset: 2,
      padTokenId: 1,
    });
    expect(maxSequenceLength(roberta)).toBe(16);
    try {
      validateEncoderInput(long(17), roberta);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InputTooLongError);
      expect((error as InputTooLongError).limit).toBe(16);
      expect((error as InputTooLongError).message).toContain('sequenceLength');
    }
  });
});
