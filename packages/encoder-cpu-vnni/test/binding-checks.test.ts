// The addon's own argument checks (issue 12, "N-API findings"), calling the raw binding as a direct user
// would, past every TypeScript check: each number read from JS must be finite, integral where an integer is
// meant and within its range, else the call is refused with SAMP_INVALID_ARGUMENT naming the field, which
// fromNativeError turns into an InvalidArgumentError with that `argument`. Before the fix `threads:
// 2 ** 32 + 1` and `1.5` made one-thread sessions, `layerSources: [0.7, NaN]` was read as [0, 0], and
// `layerNormEps: 1e300` became infinity and changed every output. A run's padded tokens are limited
// natively too (MAX_TOKENS_PER_RUN), from the sizes alone.
import {
  type EncoderInput,
  InputTooLongError,
  InvalidArgumentError,
  loadModel,
  MAX_TOKENS_PER_RUN,
  type ModelArtifacts,
} from '@samp/core';
import { listFixtureModels, readFixtureInputs } from '@samp/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CpuBinding,
  fromNativeError,
  loadCpuBinding,
  type NativeSessionSpec,
  readSessionSpec,
  resolvePrecisionSpec,
} from '../src/index';

/** The typed error a call into the addon ends with, whether it throws synchronously or rejects. */
async function typedErrorOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return fromNativeError(error);
  }
  return 'resolved';
}

/** Expects `call` to be refused with an InvalidArgumentError naming exactly `argument`. */
async function expectRefused(call: () => unknown, argument: string): Promise<void> {
  const error = await typedErrorOf(call);
  expect(error, `${argument}: ${String(error)}`).toBeInstanceOf(InvalidArgumentError);
  expect(error).toMatchObject({ code: 'SAMP_INVALID_ARGUMENT', argument });
}

describe('cpu addon: argument checks at the JS → native boundary', () => {
  let binding: CpuBinding;
  let bert: ModelArtifacts;
  let fp32: NativeSessionSpec;
  let int8: NativeSessionSpec;
  let input: EncoderInput;
  const options = { outputHiddenStates: false, computePadding: true, observe: [] };
  beforeAll(async () => {
    const fixture = listFixtureModels().find((f) => f.name === 'bert');
    if (fixture === undefined) throw new Error('no bert fixture');
    binding = loadCpuBinding();
    bert = await loadModel(fixture.dir, { tokenizer: false });
    fp32 = await readSessionSpec(bert, 1);
    int8 = await readSessionSpec(bert, 1, resolvePrecisionSpec(bert, { precision: 'int8' }));
    input = readFixtureInputs(fixture, bert.config.padTokenId);
  });

  const withConfig =
    (over: Record<string, unknown>, spec = fp32) =>
    () =>
      binding.createSession({ ...spec, config: { ...spec.config, ...over } } as NativeSessionSpec);

  it('refuses a thread count that is not an integer in 0…1024', async () => {
    for (const threads of [2 ** 32 + 1, 1.5, -1, 1025, Number.NaN, Number.POSITIVE_INFINITY, '2']) {
      await expectRefused(
        () => binding.createSession({ ...fp32, threads } as NativeSessionSpec),
        'spec.threads',
      );
    }
    const error = await typedErrorOf(() => binding.createSession({ ...fp32, threads: 2 ** 32 + 1 }));
    expect((error as Error).message).toBe(
      'spec.threads: expected an integer between 0 and 1024, got 4294967297',
    );
  });

  it('refuses config integers that are fractional, non-finite or outside their range', async () => {
    const cases: [string, unknown][] = [
      ['hiddenSize', 1e300],
      ['hiddenSize', Number.NaN],
      ['hiddenSize', 2 ** 31],
      ['hiddenSize', 32.5],
      ['hiddenSize', -32],
      ['vocabSize', Number.POSITIVE_INFINITY],
      ['numAttentionHeads', 0],
      ['numHiddenLayers', 2 ** 32 + 2],
      ['intermediateSize', '64'],
      ['maxPositionEmbeddings', -Number.MAX_VALUE],
      ['typeVocabSize', -1],
      ['embeddingSize', 31.999],
      ['padTokenId', -1],
      ['padTokenId', undefined],
    ];
    for (const [field, value] of cases)
      await expectRefused(withConfig({ [field]: value }), `config.${field}`);
  });

  it('refuses layer indices that are not integers of a layer, and the wrong number of them', async () => {
    await expectRefused(withConfig({ layerSources: [0.7, Number.NaN] }), 'config.layerSources[0]');
    await expectRefused(withConfig({ layerSources: [0, Number.NaN] }), 'config.layerSources[1]');
    await expectRefused(withConfig({ layerSources: [0, 1.2] }), 'config.layerSources[1]');
    await expectRefused(withConfig({ layerSources: [0, 2] }), 'config.layerSources[1]');
    await expectRefused(withConfig({ layerSources: [-1, 1] }), 'config.layerSources[0]');
    await expectRefused(withConfig({ layerSources: [0] }), 'config.layerSources');
    // A sparse array of 2^32 − 1 holes is refused by its length, not walked.
    await expectRefused(withConfig({ layerSources: new Array(2 ** 32 - 1) }), 'config.layerSources');
    // Shared layers (ALBERT-style) stay valid.
    const shared = await binding.createSession({ ...fp32, config: { ...fp32.config, layerSources: [0, 0] } });
    binding.disposeSession(shared);
  });

  it('refuses a LayerNorm epsilon that is not a positive finite float32', async () => {
    for (const eps of [1e300, Number.POSITIVE_INFINITY, Number.NaN, 0, -1e-12, 1e-50, '1e-12']) {
      await expectRefused(withConfig({ layerNormEps: eps }), 'config.layerNormEps');
    }
    const error = await typedErrorOf(withConfig({ layerNormEps: 1e300 }));
    expect((error as Error).message).toMatch(
      /config\.layerNormEps: expected a positive finite number .*got 1e\+300/,
    );
  });

  it('refuses quantization scales that are not 0, -1 (GEMMs) or a positive finite float32', async () => {
    const layerQuant = int8.config.layerQuant ?? [];
    expect(layerQuant.length).toBe(2);
    for (const scale of [1e300, Number.NaN, -0.5, Number.POSITIVE_INFINITY, 1e-50, -2]) {
      const bad = layerQuant.map((q, i) => (i === 0 ? { ...q, qkv: scale } : q));
      await expectRefused(withConfig({ layerQuant: bad }, int8), 'config.layerQuant[0].qkv');
    }
    for (const scale of [1e39, Number.NaN, -1]) {
      const bad = layerQuant.map((q, i) =>
        i === 1 ? { ...q, attention: { query: 0, key: 0, value: 0, probs: scale } } : q,
      );
      await expectRefused(withConfig({ layerQuant: bad }, int8), 'config.layerQuant[1].attention.probs');
    }
    await expectRefused(withConfig({ layerQuant: layerQuant.slice(1) }, int8), 'config.layerQuant');
  });

  it('refuses batch sizes that are not positive integers, and more than MAX_TOKENS_PER_RUN tokens', async () => {
    const handle = await binding.createSession(fp32);
    const run = (over: Record<string, unknown>) => () =>
      binding.runSession(handle, { ...input, ...over } as EncoderInput, options);
    const reference = await binding.runSession(handle, input, options);
    for (const batchSize of [1.5, 2 ** 32 + 1, Number.NaN, 0, -1, Number.POSITIVE_INFINITY, '2']) {
      await expectRefused(run({ batchSize }), 'batchSize');
    }
    for (const sequenceLength of [Number.POSITIVE_INFINITY, 0.5, 2 ** 31]) {
      await expectRefused(run({ sequenceLength }), 'sequenceLength');
    }
    // Past the token limit: refused from the sizes (the arrays are those of a small batch), naming the
    // limit, as validateEncoderInput does; before the fix the addon took up to 10^9 rows.
    const seq = 64;
    const rows = MAX_TOKENS_PER_RUN / seq;
    for (const batchSize of [rows + 1, 1e9, 2 ** 31 - 1]) {
      const error = await typedErrorOf(run({ batchSize, sequenceLength: seq }));
      expect(error).toBeInstanceOf(InputTooLongError);
      expect(error).toMatchObject({ limit: MAX_TOKENS_PER_RUN, length: batchSize * seq });
      expect((error as Error).message).toMatch(
        /^batchSize × sequenceLength \(\d+ × 64 padded tokens in one run; split it into runs of at most 1024 rows\) has length \d+, over the limit of 65536$/,
      );
    }
    // At the limit the sizes pass, and the arrays are checked next.
    await expectRefused(run({ batchSize: rows, sequenceLength: seq }), 'inputIds');
    // The session is unharmed and gives the same bytes.
    const again = await binding.runSession(handle, input, options);
    expect(
      Buffer.from(again.lastHiddenState.buffer).equals(Buffer.from(reference.lastHiddenState.buffer)),
    ).toBe(true);
    binding.disposeSession(handle);
  });

  it('runs with valid edge values: threads 0 (all cores), a tiny epsilon within float32', async () => {
    for (const threads of [0, 2]) {
      const handle = await binding.createSession({ ...fp32, threads });
      expect(binding.sessionInfo(handle).threads).toBeGreaterThan(0);
      binding.disposeSession(handle);
    }
    const handle = await binding.createSession({ ...fp32, config: { ...fp32.config, layerNormEps: 1e-30 } });
    const out = await binding.runSession(handle, input, options);
    expect(out.lastHiddenState.every(Number.isFinite)).toBe(true);
    binding.disposeSession(handle);
  });
});
