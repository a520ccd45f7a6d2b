import { describe, expect, it } from 'vitest';
import { InputTooLongError, InvalidArgumentError } from '../errors';
import { tinyConfig } from '../testing/test-model.test-helper';
import type { EncoderInput } from './encoder-backend';
import {
  MAX_TOKENS_PER_RUN,
  maxRowsPerRun,
  maxSequenceLength,
  validateEncoderInput,
} from './validate-encoder-input';

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

describe('the padded-token limit of one run', () => {
  /** `rows` rows of `seq` real tokens (id 5). */
  const full = (rows: number, seq: number): EncoderInput => ({
    inputIds: new Int32Array(rows * seq).fill(5),
    attentionMask: new Int32Array(rows * seq).fill(1),
    batchSize: rows,
    sequenceLength: seq,
  });

  it('accepts MAX_TOKENS_PER_RUN padded tokens and refuses one row more, naming the limit', () => {
    expect(MAX_TOKENS_PER_RUN).toBe(65_536);
    expect(maxRowsPerRun(16)).toBe(4096);
    expect(() => validateEncoderInput(full(4096, 16), config)).not.toThrow();
    let error: unknown;
    try {
      validateEncoderInput(full(4097, 16), config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputTooLongError);
    expect(error).toMatchObject({ code: 'SAMP_INPUT_TOO_LONG', length: 4097 * 16, limit: 65_536 });
    expect((error as Error).message).toMatch(/4097 × 16 padded tokens .*runs of at most 4096 rows/);
  });

  it('refuses a huge batch from its sizes alone, before reading (or even having) its arrays', () => {
    const huge = {
      inputIds: new Int32Array(0),
      attentionMask: new Int32Array(0),
      batchSize: 1e9,
      sequenceLength: 16,
    };
    expect(() => validateEncoderInput(huge, config)).toThrow(InputTooLongError);
    expect(() => validateEncoderInput({ ...huge, batchSize: 2 ** 53 }, config)).toThrow(
      /over the limit of 65536/,
    );
  });

  it('takes a backend-specific limit, and refuses a malformed one', () => {
    expect(() => validateEncoderInput(full(4, 4), config, { maxTokensPerRun: 15 })).toThrow(
      /runs of at most 3 rows\).* over the limit of 15/,
    );
    expect(() => validateEncoderInput(full(8192, 16), config, { maxTokensPerRun: 1 << 17 })).not.toThrow();
    expect(argumentOf(() => validateEncoderInput(full(1, 1), config, { maxTokensPerRun: 0 }))).toBe(
      'maxTokensPerRun',
    );
    expect(maxRowsPerRun(100, 64)).toBe(1);
  });
});
