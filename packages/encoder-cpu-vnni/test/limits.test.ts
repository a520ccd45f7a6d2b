// Resource limits of a cpu session (issue 12): a batch of MAX_TOKENS_PER_RUN padded tokens runs; one
// row more is refused with InputTooLongError naming the limit, from its sizes alone (a billion rows
// allocate nothing), and the session stays usable; a row longer than the model's position table is
// refused the same way.
import {
  type EncoderInput,
  InputTooLongError,
  loadModel,
  MAX_TOKENS_PER_RUN,
  type ModelArtifacts,
  maxRowsPerRun,
  maxSequenceLength,
} from '@samp/core';
import { listFixtureModels } from '@samp/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../src/index';

/** `rows` copies of one row: `length` real tokens then padding up to `seq`. */
function repeatedRows(rows: number, seq: number, length: number, vocab: number): EncoderInput {
  const input: EncoderInput = {
    inputIds: new Int32Array(rows * seq),
    attentionMask: new Int32Array(rows * seq),
    batchSize: rows,
    sequenceLength: seq,
  };
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < length; j++) {
      input.inputIds[r * seq + j] = 1 + ((j * 37) % (vocab - 1));
      input.attentionMask[r * seq + j] = 1;
    }
  }
  return input;
}

describe('cpu session limits', () => {
  let model: ModelArtifacts;
  beforeAll(async () => {
    const fixture = listFixtureModels().find((f) => f.name === 'bert');
    if (fixture === undefined) throw new Error('no bert fixture');
    model = await loadModel(fixture.dir, { tokenizer: false });
  });

  it('runs a batch at the token limit, refuses one row more by its sizes, and stays usable', async () => {
    await using s = await createCpuBackend({ threads: 2 }).createSession(model);
    const seq = maxSequenceLength(model.config); // 64
    const rows = maxRowsPerRun(seq); // 1,024 rows: 65,536 tokens
    expect(rows * seq).toBe(MAX_TOKENS_PER_RUN);
    const { vocabSize, hiddenSize } = model.config;
    const one = await s.run(repeatedRows(1, seq, 40, vocabSize));
    const atLimit = await s.run(repeatedRows(rows, seq, 40, vocabSize));
    expect(atLimit.lastHiddenState.length).toBe(rows * seq * hiddenSize);
    // Every row is the same text: each gives the single row's values (the last row checked too).
    const last = atLimit.lastHiddenState.subarray((rows - 1) * seq * hiddenSize);
    for (let k = 0; k < 40 * hiddenSize; k++) {
      expect(Math.abs((last[k] as number) - (one.lastHiddenState[k] as number))).toBeLessThan(1e-5);
    }

    const over = repeatedRows(rows + 1, seq, 40, vocabSize);
    const started = performance.now();
    const error = await s.run(over).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputTooLongError);
    expect(error).toMatchObject({
      code: 'SAMP_INPUT_TOO_LONG',
      limit: MAX_TOKENS_PER_RUN,
      length: (rows + 1) * seq,
    });
    expect((error as Error).message).toMatch(/runs of at most 1024 rows/);
    // A billion rows: refused from batchSize and sequenceLength, with no array of that size anywhere.
    const billion = { ...repeatedRows(1, seq, 4, vocabSize), batchSize: 1e9 };
    await expect(s.run(billion)).rejects.toBeInstanceOf(InputTooLongError);
    expect(performance.now() - started).toBeLessThan(1000);

    // A row past the position table (64 positions here) is refused the same way.
    await expect(s.run(repeatedRows(1, seq + 1, seq + 1, vocabSize))).rejects.toMatchObject({
      code: 'SAMP_INPUT_TOO_LONG',
      limit: seq,
    });
    // The session still runs, with the same bytes as before.
    const again = await s.run(repeatedRows(1, seq, 40, vocabSize));
    expect(Buffer.from(again.lastHiddenState.buffer).equals(Buffer.from(one.lastHiddenState.buffer))).toBe(
      true,
    );
  });
});
