// INT8 sessions against FP32 on every golden fixture model (random weights) and on the trained TNEWS
// model: per-layer cosine similarity and max error for uniform int8-full / int8-ffn plans and two
// mixed plans, with dynamic scales and with a max-calibrated QuantProfile; bit-identical outputs of
// the scalar and the best INT8 kernels; plan/profile/precision refusals; INT8 weight memory; TNEWS dev
// accuracy. The numbers themselves are tabulated by bench/cpu-encoder/int8-accuracy.mjs.
import {
  type EncoderInput,
  type EncoderSession,
  type LayerPlan,
  loadModel,
  type ModelArtifacts,
  type PrecisionPlan,
  type QuantProfile,
  type SampError,
  uniformPlan,
} from '@samp/core';
import { listFixtureModels, readFixtureInputs } from '@samp/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CpuEncoderSession,
  createCpuBackend,
  loadCpuBinding,
  readSessionSpec,
  resolvePrecisionSpec,
} from '../src/index';
import { calibrateMax, compareLayers } from './int8-helpers';
import { accuracy, batchOf, readDev, TNEWS_DIR } from './tnews-helpers';

// Bounds, from the measured minima over the nine fixtures (2 or 3 layers, hidden 32, random weights;
// both scale modes): int8-ffn 0.9997, int8-full 0.9983 (ALBERT's last layer, dynamic); max error
// 0.39. Margins of 3-4× in (1 − cosine); a broken scale (one tap's scale 16× too small, i.e.
// clipping) falls far below them (checked below).
const COSINE_BOUND = { 'int8-ffn': 0.999, 'int8-full': 0.995 } as const;
const MAX_ERROR_BOUND = 0.6;

const fixtures = listFixtureModels();
const backend = createCpuBackend({ threads: 2 });

function fixtureNamed(name: string) {
  const f = fixtures.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no fixture ${name}`);
  return f;
}

/** The packed Linear weights' bytes of a cpu session. */
function weightBytes(s: EncoderSession): number {
  if (!(s instanceof CpuEncoderSession)) throw new Error('not a cpu session');
  return s.weightBytes;
}

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as SampError).code;
  }
};

function planOf(model: ModelArtifacts, layers: LayerPlan[]): PrecisionPlan {
  return { ...uniformPlan(model, 'fp32', { device: 'cpu' }), layers };
}

/** The plans compared on each fixture, with the cosine bound of each layer. */
function plansFor(model: ModelArtifacts): { name: string; plan: PrecisionPlan; bounds: number[] }[] {
  const n = model.config.numHiddenLayers;
  const idx = Array.from({ length: n }, (_, i) => i);
  const boundOf = (l: LayerPlan): number =>
    l.precision === 'fp32' ? 0.99999 : COSINE_BOUND[l.precision as 'int8-ffn' | 'int8-full'];
  // Mixed A: int8-full, fp32, int8-ffn, … ; mixed B: int8-ffn, then int8-full with an FP32 QKV GEMM.
  const cycle = ['int8-full', 'fp32', 'int8-ffn'] as const;
  const mixedA: LayerPlan[] = idx.map((i) => ({ precision: cycle[i % 3] ?? 'fp32' }));
  const mixedB: LayerPlan[] = idx.map((i) =>
    i % 2 === 0 ? { precision: 'int8-ffn' } : { precision: 'int8-full', gemms: { qkv: 'fp32' } },
  );
  // A layer after an INT8 one inherits its error: bound each layer by the loosest bound so far.
  const cumulative = (layers: LayerPlan[]) =>
    layers.map((_, i) => Math.min(...layers.slice(0, i + 1).map(boundOf)));
  return [
    {
      name: 'int8-ffn',
      plan: uniformPlan(model, 'int8-ffn'),
      bounds: idx.map(() => COSINE_BOUND['int8-ffn']),
    },
    {
      name: 'int8-full',
      plan: uniformPlan(model, 'int8-full'),
      bounds: idx.map(() => COSINE_BOUND['int8-full']),
    },
    { name: 'mixed-a', plan: planOf(model, mixedA), bounds: cumulative(mixedA) },
    { name: 'mixed-b', plan: planOf(model, mixedB), bounds: cumulative(mixedB) },
  ];
}

describe.each(fixtures.map((f) => [f.name, f] as const))('%s: INT8 vs FP32 per layer', (_name, fixture) => {
  let model: ModelArtifacts;
  let input: EncoderInput;
  let reference: Float32Array[];
  let profile: QuantProfile;
  beforeAll(async () => {
    model = await loadModel(fixture.dir, { tokenizer: false });
    input = readFixtureInputs(fixture, model.config.padTokenId);
    await using fp32 = await backend.createSession(model);
    reference = (await fp32.run(input, { outputHiddenStates: true })).hiddenStates ?? [];
    profile = await calibrateMax(model, fp32, [input]);
  });

  async function agreement(plan: PrecisionPlan, withProfile: QuantProfile | undefined) {
    await using s = await backend.createSession(model, {
      plan,
      ...(withProfile ? { profile: withProfile } : {}),
    });
    const out = await s.run(input, { outputHiddenStates: true });
    return compareLayers(reference, out.hiddenStates ?? [], input, model.config.hiddenSize);
  }

  it('stays within the cosine and max-error bounds for uniform and mixed plans, dynamic and static', async () => {
    for (const { name, plan, bounds } of plansFor(model)) {
      for (const mode of ['dynamic', 'static'] as const) {
        const layers = await agreement(plan, mode === 'static' ? profile : undefined);
        expect(layers.length).toBe(model.config.numHiddenLayers);
        for (const l of layers) {
          const where = `${name} ${mode} layer ${l.layer}`;
          expect(l.cosine, where).toBeGreaterThanOrEqual(bounds[l.layer] as number);
          expect(l.maxError, where).toBeLessThanOrEqual(MAX_ERROR_BOUND);
        }
      }
    }
  });

  it('falls below the bound with a broken scale (one tap 16× too small)', async () => {
    const broken = structuredClone(profile);
    const tap = 'layers.0.ffn.intermediate.input';
    broken.activations[tap] = { scale: (profile.activations[tap]?.scale ?? 1) / 16 };
    const layers = await agreement(uniformPlan(model, 'int8-ffn'), broken);
    expect(layers[0]?.cosine).toBeLessThan(COSINE_BOUND['int8-ffn']);
  });

  it('gives bit-identical outputs with the scalar and the best INT8 kernels', async () => {
    const binding = loadCpuBinding();
    const spec = await readSessionSpec(
      model,
      2,
      resolvePrecisionSpec(model, { plan: planOf(model, mixedLayers(model)), profile }),
    );
    const outputs: Float32Array[] = [];
    for (const int8Isa of ['scalar', undefined]) {
      const handle = await binding.createSession({ ...spec, ...(int8Isa ? { int8Isa } : {}) });
      const result = await binding.runSession(
        handle,
        { ...input, tokenTypeIds: input.tokenTypeIds ?? new Int32Array(input.inputIds.length) },
        { outputHiddenStates: false, computePadding: true, observe: [] },
      );
      if (int8Isa === 'scalar') expect(binding.sessionInfo(handle).int8Isa).toBe('scalar');
      binding.disposeSession(handle);
      outputs.push(result.lastHiddenState);
    }
    expect(outputs[1]).toEqual(outputs[0]);
  });
});

/** Every layer kind at once, for the ISA test: int8-full (static), int8-ffn, then dynamic when there is no scale. */
function mixedLayers(model: ModelArtifacts): LayerPlan[] {
  return Array.from({ length: model.config.numHiddenLayers }, (_, i) => ({
    precision: i % 2 === 0 ? 'int8-full' : 'int8-ffn',
  }));
}

describe('INT8 session options', () => {
  let bert: ModelArtifacts;
  let other: ModelArtifacts;
  beforeAll(async () => {
    bert = await loadModel(fixtureNamed('bert').dir, { tokenizer: false });
    other = await loadModel(fixtureNamed('roberta-seq-cls').dir, { tokenizer: false });
  });

  it("reports precision int8 for precision 'int8' (uniform int8-full) and for an INT8 plan", async () => {
    await using s = await backend.createSession(bert, { precision: 'int8' });
    expect(s.precision).toBe('int8');
    expect(s.plan?.layers.every((l) => l.precision === 'int8-full')).toBe(true);
    // plan wins over precision
    await using f = await backend.createSession(bert, { precision: 'int8', plan: uniformPlan(bert, 'fp32') });
    expect(f.precision).toBe('fp32');
    await using m = await backend.createSession(bert, { plan: uniformPlan(bert, 'int8-ffn') });
    expect(m.precision).toBe('int8');
    expect(weightBytes(m)).toBeLessThan(weightBytes(f));
  });

  it('refuses a plan or profile made for another model, fp16/fp8 and a profile lacking a scale', async () => {
    expect(await codeOf(backend.createSession(bert, { plan: uniformPlan(other, 'int8-full') }))).toBe(
      'SAMP_INVALID_PLAN',
    );
    const layers = uniformPlan(bert, 'int8-full');
    expect(
      await codeOf(backend.createSession(bert, { plan: { ...layers, layers: layers.layers.slice(1) } })),
    ).toBe('SAMP_INVALID_PLAN');
    await using fp32 = await backend.createSession(other);
    const input = readFixtureInputs(fixtureNamed('roberta-seq-cls'), 1);
    const otherProfile = await calibrateMax(other, fp32, [input]);
    expect(await codeOf(backend.createSession(bert, { precision: 'int8', profile: otherProfile }))).toBe(
      'SAMP_INVALID_PROFILE',
    );
    expect(await codeOf(backend.createSession(bert, { precision: 'fp16' }))).toBe(
      'SAMP_UNSUPPORTED_PRECISION',
    );
    expect(await codeOf(backend.createSession(bert, { plan: uniformPlan(bert, 'fp8') }))).toBe(
      'SAMP_UNSUPPORTED_PRECISION',
    );
    const fp16Gemm = planOf(bert, [{ precision: 'int8-ffn', gemms: { qkv: 'fp16' } }, { precision: 'fp32' }]);
    await expect(backend.createSession(bert, { plan: fp16Gemm })).rejects.toThrow(/plan\.layers\[0\].*fp16/);
    const bertProfile = await calibrateMax(bert, await backend.createSession(bert), [
      readFixtureInputs(fixtureNamed('bert'), 0),
    ]);
    delete bertProfile.activations['layers.1.ffn.output.input'];
    await expect(backend.createSession(bert, { precision: 'int8', profile: bertProfile })).rejects.toThrow(
      /layers\.1\.ffn\.output\.input/,
    );
    // Not needed by int8-ffn on layer 1 → only layer 0's taps matter for this plan.
    const plan = planOf(bert, [{ precision: 'int8-ffn' }, { precision: 'fp32' }]);
    await using ok = await backend.createSession(bert, { plan, profile: bertProfile });
    expect(ok.precision).toBe('int8');
  });
});

describe('INT8 attention (int8-full layers)', () => {
  let bert: ModelArtifacts;
  let input: EncoderInput;
  beforeAll(async () => {
    bert = await loadModel(fixtureNamed('bert').dir, { tokenizer: false });
    input = readFixtureInputs(fixtureNamed('bert'), bert.config.padTokenId);
  });

  /** Every observed probability of layer `layer` (positions under the mask) as a multiple of `step`. */
  async function probsOf(session: EncoderSession, layer: number) {
    const name = `layers.${layer}.attention.probs`;
    const out = await session.run(input, { observe: [name] });
    const t = out.observed?.[name];
    if (t === undefined) throw new Error(`no ${name}`);
    return t.data;
  }

  it('runs softmax·V on int8 probabilities in int8-full layers and in FP32 in int8-ffn layers', async () => {
    const plan = planOf(bert, [{ precision: 'int8-full' }, { precision: 'int8-ffn' }]);
    await using s = await backend.createSession(bert, { plan });
    const full = await probsOf(s, 0);
    const ffn = await probsOf(s, 1);
    // int8-full: the probabilities the P·V GEMM reads are codes of step 1/127 (dynamic mode).
    let offGrid = 0;
    for (const p of full) if (Math.abs(p * 127 - Math.round(p * 127)) > 1e-4) offGrid++;
    expect(offGrid).toBe(0);
    // int8-ffn: FP32 softmax, almost never on that grid.
    let onGrid = 0;
    let positive = 0;
    for (const p of ffn) {
      if (p <= 0) continue;
      positive++;
      if (Math.abs(p * 127 - Math.round(p * 127)) <= 1e-4) onGrid++;
    }
    expect(positive).toBeGreaterThan(100);
    expect(onGrid / positive).toBeLessThan(0.05);
  });

  it("uses the profile's attention.probs scale as the probability step", async () => {
    await using fp32 = await backend.createSession(bert);
    const profile = await calibrateMax(bert, fp32, [input]);
    profile.activations['layers.0.attention.probs'] = { scale: 1 / 64 };
    await using s = await backend.createSession(bert, { precision: 'int8', profile });
    for (const p of await probsOf(s, 0)) expect(Math.abs(p * 64 - Math.round(p * 64))).toBeLessThan(1e-4);
  });

  it('refuses a plan with only one attention matmul in int8, and a non-positive attention scale', async () => {
    const half = planOf(bert, [
      { precision: 'int8-full', gemms: { 'attention-context': 'fp32' } },
      { precision: 'fp32' },
    ]);
    expect(await codeOf(backend.createSession(bert, { plan: half }))).toBe('SAMP_UNSUPPORTED_PRECISION');
    await using fp32 = await backend.createSession(bert);
    const profile = await calibrateMax(bert, fp32, [input]);
    profile.activations['layers.1.attention.key'] = { scale: 0 };
    await expect(backend.createSession(bert, { precision: 'int8', profile })).rejects.toThrow(
      /layers\.1\.attention\.key/,
    );
    // The native side re-checks what the TS side sends.
    const binding = loadCpuBinding();
    const spec = await readSessionSpec(bert, 1, resolvePrecisionSpec(bert, { precision: 'int8' }));
    const layerQuant = spec.config.layerQuant ?? [];
    const bad = layerQuant.map((q, i) =>
      i === 1 ? { ...q, attention: { query: 0, key: -2, value: 0, probs: 0 } } : q,
    );
    // (the binding checks the config synchronously, before any work is queued)
    expect(() => binding.createSession({ ...spec, config: { ...spec.config, layerQuant: bad } })).toThrow(
      /layerQuant\[1\]\.attention\.key/,
    );
  });
});

describe('TNEWS (trained, 4 layers, hidden 256): INT8 Fully-Quant on every layer', () => {
  // The first 500 dev rows calibrate (ids only); the next 1,000 measure accuracy (the bench script
  // runs all 4,928).
  const dev = readDev();
  const calibration = dev.slice(0, 500);
  const evaluation = dev.slice(500, 1500);
  const tnewsBackend = createCpuBackend({ threads: 2, padPositions: 'skip' });
  let model: ModelArtifacts;
  let fp32Accuracy: number;
  let profile: QuantProfile;
  beforeAll(async () => {
    model = await loadModel(TNEWS_DIR, { tokenizer: false });
    await using fp32 = await tnewsBackend.createSession(model);
    fp32Accuracy = await accuracy(model, fp32, evaluation);
    const inputs: EncoderInput[] = [];
    for (let i = 0; i < calibration.length; i += 50) {
      inputs.push(batchOf(calibration.slice(i, i + 50), model.config.padTokenId));
    }
    profile = await calibrateMax(model, fp32, inputs);
  }, 60_000);

  it('loses at most 1 point of dev accuracy, dynamic and max-calibrated; INT8 weights take ≤ 27% of FP32', async () => {
    expect(evaluation.length).toBe(1000);
    expect(fp32Accuracy).toBeGreaterThan(0.4); // 15 classes: the model is trained
    await using fp32 = await tnewsBackend.createSession(model);
    for (const withProfile of [undefined, profile]) {
      await using s = await tnewsBackend.createSession(model, {
        precision: 'int8',
        ...(withProfile ? { profile: withProfile } : {}),
      });
      const a = await accuracy(model, s, evaluation);
      expect(fp32Accuracy - a, withProfile ? 'static' : 'dynamic').toBeLessThanOrEqual(0.01);
      expect(weightBytes(s) / weightBytes(fp32)).toBeLessThanOrEqual(0.27);
    }
  }, 60_000);
});
