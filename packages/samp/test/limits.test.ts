// Resource limits of pipeline() (issue 12): huge input arrays are tokenized one window at a time and
// run in batches of at most maxBatchTokens padded tokens (never refused by the session's limit, even
// with a huge batchSize); a huge single text costs only its kept start; a text pair over the
// tokenizer's maxInputLength is refused with a typed error and the pipeline stays usable.
import { join } from 'node:path';
import { type EncoderBackendV1, MAX_TOKENS_PER_RUN } from '@samp/core';
import { fixturesDir } from '@samp/core/testing';
import { createCpuBackend } from '@samp/encoder-cpu-vnni';
import { DEFAULT_MAX_INPUT_LENGTH } from '@samp/tokenizer';
import { describe, expect, it, vi } from 'vitest';
import { pipeline, planBatches } from '../src/index';
import { pipelineWindowSize } from '../src/pipeline/pipeline';

const SEQ_CLS = join(fixturesDir, 'bert-seq-cls');
const WORDS = ['the', 'film', 'is', 'a', 'charming', 'and', 'often', 'affecting', 'journey', 'bad'];

/** The CPU backend, recording the shape of every run. */
function recordingCpu(): { backend: EncoderBackendV1; runs: { rows: number; seq: number }[] } {
  const cpu = createCpuBackend({ threads: 1 });
  const runs: { rows: number; seq: number }[] = [];
  return {
    runs,
    backend: {
      ...cpu,
      name: 'recording-cpu',
      async createSession(model, options) {
        const session = await cpu.createSession(model, options);
        const run = session.run.bind(session);
        return Object.assign(session, {
          run: (input: Parameters<typeof run>[0], o?: Parameters<typeof run>[1]) => {
            runs.push({ rows: input.batchSize, seq: input.sequenceLength });
            return run(input, o);
          },
        });
      },
    },
  };
}

/** `count` texts of 1 to `words` words, deterministic. */
function texts(count: number, words: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    Array.from({ length: 1 + ((i * 7919) % words) }, (_, k) => WORDS[(i + k * 3) % WORDS.length]).join(' '),
  );
}

describe('planBatches with a token budget', () => {
  it('cuts a batch when rows × its longest row would pass the budget, keeping every input once', () => {
    expect(planBatches([[3], [9], [5]], 2, 10)).toEqual([[1], [2, 0]]);
    // Bi-encoder inputs (two rows each): 2 inputs × 2 rows × 8 = 32 tokens.
    expect(
      planBatches(
        [
          [8, 2],
          [4, 4],
          [8, 8],
          [1, 1],
        ],
        10,
        32,
      ),
    ).toEqual([
      [0, 2],
      [1, 3],
    ]);
    // An input over the budget on its own still gets a batch (the session then decides).
    expect(planBatches([[100], [2]], 8, 50)).toEqual([[0], [1]]);
    const lengths = Array.from({ length: 5000 }, (_, i) => [1 + ((i * 31) % 64)]);
    const batches = planBatches(lengths, 10_000, 4096);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    for (const b of batches) {
      const width = Math.max(...b.map((i) => lengths[i]?.[0] as number));
      expect(b.length * width).toBeLessThanOrEqual(4096);
    }
  });
});

describe('pipeline limits', () => {
  it('runs a huge array window by window, in runs within maxBatchTokens, results as if one by one', async () => {
    const { backend, runs } = recordingCpu();
    await using classify = await pipeline('classification', {
      model: SEQ_CLS,
      backends: [backend],
      batchSize: 64,
      maxBatchTokens: 512,
    });
    expect(classify.maxBatchTokens).toBe(512);
    const encodeAll = vi.spyOn(classify.tokenizer, 'encodeAll');
    const inputs = texts(2100, 12);
    const results = await classify(inputs);
    expect(results).toHaveLength(inputs.length);
    // Tokenized 1,024 inputs at a time (at least 1,024, else 16 × batchSize), never all at once.
    const window = pipelineWindowSize(64);
    expect(window).toBe(1024);
    expect(encodeAll.mock.calls.map(([list]) => list.length)).toEqual([window, window, 2100 - 2 * window]);
    expect(Math.max(...runs.map((r) => r.rows * r.seq))).toBeLessThanOrEqual(512);
    expect(Math.max(...runs.map((r) => r.rows))).toBeLessThanOrEqual(64);
    expect(runs.reduce((n, r) => n + r.rows, 0)).toBe(inputs.length);
    // A sample of the results, each against the same text classified alone.
    for (const i of [0, 1, 777, 1023, 1024, 2047, 2048, 2099]) {
      const alone = await classify(inputs[i] as string);
      expect(results[i]?.label, `input ${i}`).toBe(alone.label);
      expect(results[i]?.score, `input ${i}`).toBeCloseTo(alone.score, 5);
    }
  });

  it('splits a huge batchSize by the session limit instead of having it refused', async () => {
    const { backend, runs } = recordingCpu();
    await using classify = await pipeline('classification', {
      model: SEQ_CLS,
      backends: [backend],
      batchSize: 1_000_000,
    });
    expect(classify.maxBatchTokens).toBe(MAX_TOKENS_PER_RUN);
    // 1,100 texts truncated to the 64 positions: 70,400 padded tokens, more than one run takes.
    const long = texts(1100, 10).map((t) => `${t} ${'affecting journey '.repeat(40)}`);
    const results = await classify(long);
    expect(results).toHaveLength(long.length);
    expect(runs.map((r) => r.rows)).toEqual([1024, 76]);
    expect(Math.max(...runs.map((r) => r.rows * r.seq))).toBeLessThanOrEqual(MAX_TOKENS_PER_RUN);
  });

  it('classifies a 32-million-character text by its start, and refuses an over-long pair with a typed error', async () => {
    await using classify = await pipeline('classification', {
      model: SEQ_CLS,
      backends: [createCpuBackend({ threads: 1 })],
    });
    const start = 'a charming and often affecting journey . '.repeat(40);
    const huge = start.repeat(20_000); // 33 million characters
    expect(huge.length).toBeGreaterThan(32_000_000);
    const began = performance.now();
    const result = await classify(huge);
    // Truncated to the model's 64 positions: the same as its first 1,640 characters.
    expect(result).toEqual(await classify(start));
    expect(performance.now() - began).toBeLessThan(5000);

    const pair = { text: 'short', text_pair: 'x '.repeat(DEFAULT_MAX_INPUT_LENGTH / 2 + 1) };
    await expect(classify(pair)).rejects.toMatchObject({
      code: 'SAMP_TOKENIZER_INPUT',
      message: expect.stringMatching(/over maxInputLength \(16777216\)/),
    });
    expect(await classify(start)).toEqual(result);
  });

  it('refuses a malformed maxBatchTokens', async () => {
    await expect(
      pipeline('classification', {
        model: SEQ_CLS,
        backends: [createCpuBackend({ threads: 1 })],
        maxBatchTokens: 0,
      }),
    ).rejects.toMatchObject({ code: 'SAMP_INVALID_ARGUMENT', argument: 'maxBatchTokens' });
  });
});
