// Session behaviour beyond the conformance suite: typed errors for bad input on the TypeScript side and,
// bypassing it, on the native side (which checks again before reading any table), INT8 refused with a
// clear error, disposal while runs are in flight, the ISA override, and observed activations.
import { type EncoderInput, loadModel, type ModelArtifacts, SampError, uniformPlan } from '@samp/core';
import { listFixtureModels, readFixtureInputs } from '@samp/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CpuEncoderSession, createCpuBackend, loadCpuBinding } from '../src/index';
import { readSessionSpec } from '../src/native-spec';

const fixture = (name: string) => {
  const f = listFixtureModels().find((x) => x.name === name);
  if (f === undefined) throw new Error(`no fixture ${name}`);
  return f;
};

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return SampError.isInstance(error) ? error.code : `not a SampError: ${String(error)}`;
  }
  return 'resolved';
}

/** A call into the addon that may throw synchronously or reject: its error's `code`. */
async function nativeCodeOf(call: () => unknown): Promise<string> {
  try {
    await call();
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
  return 'resolved';
}

describe('cpu session', () => {
  let bert: ModelArtifacts;
  let roberta: ModelArtifacts;
  let input: EncoderInput;
  beforeAll(async () => {
    bert = await loadModel(fixture('bert').dir, { tokenizer: false });
    roberta = await loadModel(fixture('roberta-seq-cls').dir, { tokenizer: false });
    input = readFixtureInputs(fixture('bert'), 0);
  });

  it('refuses bad input with typed errors', async () => {
    await using s = await createCpuBackend({ threads: 1 }).createSession(bert);
    const one = (ids: number[], extra: Partial<EncoderInput> = {}): EncoderInput => ({
      inputIds: Int32Array.from(ids),
      attentionMask: new Int32Array(ids.length).fill(1),
      batchSize: 1,
      sequenceLength: ids.length,
      ...extra,
    });
    expect(await codeOf(s.run(one([bert.config.vocabSize])))).toBe('SAMP_INVALID_ARGUMENT');
    expect(await codeOf(s.run(one([5, 6], { attentionMask: Int32Array.of(1) })))).toBe(
      'SAMP_INVALID_ARGUMENT',
    );
    expect(await codeOf(s.run(one([5, 6], { tokenTypeIds: Int32Array.of(0, 2) })))).toBe(
      'SAMP_INVALID_ARGUMENT',
    );
    const long = new Array<number>(bert.config.maxPositionEmbeddings + 1).fill(5);
    expect(await codeOf(s.run(one(long)))).toBe('SAMP_INPUT_TOO_LONG');
    expect(await codeOf(s.run(input, { observe: ['layers.9.attention.probs'] }))).toBe(
      'SAMP_INVALID_ARGUMENT',
    );
    expect(await codeOf(s.run(input, { observe: ['nonsense'] }))).toBe('SAMP_INVALID_ARGUMENT');
    // RoBERTa reserves padTokenId + 1 positions: 64 − 2 = 62 tokens at most.
    await using r = await createCpuBackend({ threads: 1 }).createSession(roberta);
    expect(await codeOf(r.run(one(new Array<number>(63).fill(5))))).toBe('SAMP_INPUT_TOO_LONG');
    expect(await codeOf(r.run(one(new Array<number>(62).fill(5))))).toBe('resolved');
  });

  it('checks input again on the native side, bypassing the TypeScript checks', async () => {
    const binding = loadCpuBinding();
    const handle = await binding.createSession(await readSessionSpec(bert, 1));
    const options = { outputHiddenStates: false, computePadding: true, observe: [] };
    const run = (over: Record<string, unknown>) => () =>
      binding.runSession(handle, { ...input, ...over } as unknown as EncoderInput, options);
    const bad = Int32Array.from(input.inputIds);
    bad[5] = 1 << 30;
    expect(await nativeCodeOf(run({ inputIds: bad }))).toBe('SAMP_INVALID_ARGUMENT');
    bad[5] = -3;
    expect(await nativeCodeOf(run({ inputIds: bad }))).toBe('SAMP_INVALID_ARGUMENT');
    expect(await nativeCodeOf(run({ inputIds: input.inputIds.subarray(1) }))).toBe('SAMP_INVALID_ARGUMENT');
    expect(await nativeCodeOf(run({ tokenTypeIds: new Int32Array(input.inputIds.length).fill(7) }))).toBe(
      'SAMP_INVALID_ARGUMENT',
    );
    expect(await nativeCodeOf(run({ inputIds: Array.from(input.inputIds) }))).toBe('SAMP_INVALID_ARGUMENT');
    expect(await nativeCodeOf(run({ sequenceLength: 100, batchSize: 1 }))).toBe('SAMP_INPUT_TOO_LONG');
    const mask = Int32Array.from(input.attentionMask);
    mask[0] = 0;
    expect(await nativeCodeOf(run({ attentionMask: mask }))).toBe('SAMP_INVALID_ARGUMENT');
    expect(await nativeCodeOf(() => binding.runSession({} as never, input, options))).toBe(
      'SAMP_INVALID_ARGUMENT',
    );
    // Malformed weights are refused with the tensor named.
    const spec = await readSessionSpec(bert, 1);
    spec.tensors['layers.1.ffn.output.weight'] = new Float32Array(3);
    await expect(binding.createSession(spec)).rejects.toThrow(
      /layers\.1\.ffn\.output\.weight has 3 elements/,
    );
    binding.disposeSession(handle);
    expect(await nativeCodeOf(run({}))).toBe('SAMP_SESSION_DISPOSED');
  });

  it('refuses precisions CPUs cannot run with a typed error (INT8 ones: int8.test.ts)', async () => {
    const backend = createCpuBackend();
    expect(await codeOf(backend.createSession(bert, { precision: 'fp16' }))).toBe(
      'SAMP_UNSUPPORTED_PRECISION',
    );
    expect(await codeOf(backend.createSession(bert, { plan: uniformPlan(bert, 'fp8') }))).toBe(
      'SAMP_UNSUPPORTED_PRECISION',
    );
    await using fp32 = await backend.createSession(bert, { plan: uniformPlan(bert, 'fp32') });
    expect(fp32.plan?.layers[0]?.precision).toBe('fp32');
    expect(await codeOf(backend.createSession(bert, { threads: -1 }))).toBe('SAMP_INVALID_ARGUMENT');
  });

  it('runs in flight finish after dispose; later runs reject with SessionDisposedError', async () => {
    const s = await createCpuBackend({ threads: 2 }).createSession(bert);
    const reference = await s.run(input);
    const inFlight = [s.run(input), s.run(input), s.run(input)];
    const disposed = s.dispose();
    const settled = await Promise.allSettled(inFlight);
    await disposed;
    for (const r of settled) {
      // Runs queued before dispose may finish or be refused, never anything else.
      if (r.status === 'fulfilled') expect(r.value.lastHiddenState).toEqual(reference.lastHiddenState);
      else expect((r.reason as SampError).code).toBe('SAMP_SESSION_DISPOSED');
    }
    expect(await codeOf(s.run(input))).toBe('SAMP_SESSION_DISPOSED');
    await s.dispose();
  });

  it('uses the scalar kernels with SAMP_CPU_ISA=scalar and refuses an unknown value', async () => {
    const saved = process.env.SAMP_CPU_ISA;
    try {
      process.env.SAMP_CPU_ISA = 'scalar';
      await using s = (await createCpuBackend({ threads: 3 }).createSession(bert)) as CpuEncoderSession;
      expect(s.isa).toBe('scalar');
      expect(s.threads).toBe(3);
      process.env.SAMP_CPU_ISA = 'sse9';
      await expect(createCpuBackend().createSession(bert)).rejects.toThrow(/SAMP_CPU_ISA="sse9"/);
    } finally {
      if (saved === undefined) delete process.env.SAMP_CPU_ISA;
      else process.env.SAMP_CPU_ISA = saved;
    }
  });

  it('observes every activation tap in the documented layout', async () => {
    await using s = await createCpuBackend({ threads: 2 }).createSession(bert);
    const names = [
      'embeddings.output',
      ...[
        'attention.qkv.input',
        'attention.query',
        'attention.key',
        'attention.value',
        'attention.scores',
        'attention.probs',
        'attention.context',
        'ffn.intermediate.input',
        'ffn.output.input',
      ].map((t) => `layers.1.${t}`),
    ];
    const out = await s.run(input, { observe: names, outputHiddenStates: true });
    const { batchSize: b, sequenceLength: n } = input;
    const { hiddenSize: h, intermediateSize: i, numAttentionHeads: heads } = bert.config;
    expect(Object.keys(out.observed ?? {}).sort()).toEqual([...names].sort());
    expect(out.observed?.['layers.1.attention.scores']?.shape).toEqual([b, heads, n, n]);
    expect(out.observed?.['layers.1.ffn.output.input']?.shape).toEqual([b, n, i]);
    expect(out.observed?.['layers.1.attention.query']?.shape).toEqual([b, n, h]);
    // The layer's input is hidden_states[1]; masked keys have zero probability and the lowest score.
    expect(out.observed?.['layers.1.attention.qkv.input']?.data).toEqual(out.hiddenStates?.[1]);
    expect(out.observed?.['embeddings.output']?.data).toEqual(out.hiddenStates?.[0]);
    const probs = out.observed?.['layers.1.attention.probs']?.data ?? new Float32Array();
    const scores = out.observed?.['layers.1.attention.scores']?.data ?? new Float32Array();
    const row = 2; // 4 real tokens of 12
    const at = ((row * heads + 0) * n + 0) * n;
    expect(probs[at + 4]).toBe(0);
    expect(scores[at + 11]).toBe(-3.4028234663852886e38);
  });
});
