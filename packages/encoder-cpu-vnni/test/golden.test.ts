// Every fixture model against its Hugging Face float64 outputs at every position (padded ones too),
// for both kernel sets (AVX2 when the CPU has it, and SAMP_CPU_ISA=scalar), plus the padding-free
// mode (`padPositions: 'skip'`): same real positions, zeros at the padded ones.
import { type EncoderInput, loadModel, type ModelArtifacts } from '@samp/core';
import { listFixtureModels, readFixtureExpected, readFixtureInputs, relativeError } from '@samp/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createCpuBackend, readCpuFeatures } from '../src/index';

const TOLERANCE = 1e-5;
const fixtures = listFixtureModels();
const savedIsa = process.env.SAMP_CPU_ISA;
afterAll(() => {
  if (savedIsa === undefined) delete process.env.SAMP_CPU_ISA;
  else process.env.SAMP_CPU_ISA = savedIsa;
});

const hardwareFp32Isa = (): 'avx2' | 'scalar' => {
  const probe = readCpuFeatures();
  return probe.features.avx2 && probe.features.fma && probe.features.os_avx ? 'avx2' : 'scalar';
};

/** Opens a session with SAMP_CPU_ISA set to `isa` (read by the native side when the session is made). */
async function openSession(model: ModelArtifacts, isa: 'avx2' | 'scalar', padPositions: 'compute' | 'skip') {
  process.env.SAMP_CPU_ISA = isa;
  try {
    return await createCpuBackend({ threads: 2, padPositions }).createSession(model, { precision: 'fp32' });
  } finally {
    if (savedIsa === undefined) delete process.env.SAMP_CPU_ISA;
    else process.env.SAMP_CPU_ISA = savedIsa;
  }
}

it('finds the nine golden fixture models', () => {
  expect(fixtures.map((f) => f.name).sort()).toEqual([
    'albert-seq-cls',
    'bert',
    'bert-gelu-new',
    'bert-seq-cls',
    'bert-token-cls',
    'distilbert-seq-cls',
    'electra-seq-cls',
    'roberta-seq-cls',
    'xlm-roberta',
  ]);
});

describe.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, fixture) => {
  const expected = readFixtureExpected(fixture);
  let modelPromise: Promise<ModelArtifacts> | undefined;
  const model = () => {
    modelPromise ??= loadModel(fixture.dir, { tokenizer: false });
    return modelPromise;
  };

  it.each(['avx2', 'scalar'] as const)(
    'matches every hidden state at every position (%s kernels)',
    async (isa) => {
      if (isa === 'avx2') expect(hardwareFp32Isa(), 'this CPU lacks AVX2+FMA').toBe('avx2');
      const m = await model();
      await using session = await openSession(m, isa, 'compute');
      expect((session as unknown as { isa: string }).isa).toBe(isa);
      const input = readFixtureInputs(fixture, m.config.padTokenId);
      const out = await session.run(input, { outputHiddenStates: true });
      const golden = expected?.get('last_hidden_state');
      expect(golden, 'expected last_hidden_state').toBeDefined();
      expect(relativeError(out.lastHiddenState, golden?.data ?? [])).toBeLessThanOrEqual(TOLERANCE);
      expect(out.hiddenStates?.length).toBe(m.config.numHiddenLayers + 1);
      out.hiddenStates?.forEach((state, i) => {
        const g = expected?.get(`hidden_states.${i}`);
        expect(g, `expected hidden_states.${i}`).toBeDefined();
        expect(relativeError(state, g?.data ?? []), `hidden_states.${i}`).toBeLessThanOrEqual(TOLERANCE);
      });
      // The padded positions are really checked: the fixture batch has padding.
      expect(input.attentionMask.includes(0)).toBe(true);
    },
  );

  it("padPositions 'skip' gives the same real positions and zeros at padded ones", async () => {
    const m = await model();
    await using session = await openSession(m, hardwareFp32Isa(), 'skip');
    const input: EncoderInput = readFixtureInputs(fixture, m.config.padTokenId);
    const out = await session.run(input);
    const h = m.config.hiddenSize;
    const real = (i: number) => input.attentionMask[Math.floor(i / h)] === 1;
    const golden = expected?.get('last_hidden_state')?.data ?? new Float32Array();
    expect(relativeError(out.lastHiddenState, golden, real)).toBeLessThanOrEqual(TOLERANCE);
    for (let i = 0; i < out.lastHiddenState.length; i++) {
      if (!real(i) && out.lastHiddenState[i] !== 0)
        throw new Error(`padded element ${i} is ${out.lastHiddenState[i]}`);
    }
  });
});
