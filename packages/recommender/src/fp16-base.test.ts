// The recommender with an fp16 base, as on a GPU: the CUDA backend runs one float precision per session,
// so every plan it is shown must keep its float layers at fp16 (int8-full, int8-ffn and fp8 are the modes).
// The device below follows that rule and refuses any plan with an fp32 layer or GEMM, as the CUDA backend
// does; its scores and latencies are additive per layer (like the per-GEMM test in recommend.test.ts), so
// the latency fit is exact and the expected costs are known.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GemmName, InvalidArgumentError, parsePrecisionPlan } from '@samp/core';
import { describe, expect, it } from 'vitest';
import { devLogits } from '../test/dev-logits';
import { tnewsTables } from '../test/tables-fixture';
import { type Candidate, candidateKey, describeCandidate, int8GemmsOf, uniformCandidate } from './candidate';
import { createOutputsEvaluator, type EvaluationSplit, type PlanEvaluator } from './evaluator';
import { readLatencyCache } from './latency-cache';
import { latencyFitPlans } from './latency-fit-plans';
import { parseMeasurementTables } from './measurement-tables-file';
import { recommend } from './recommend';
import { recommendFromTables } from './recommend-from-tables';
import { renderReport } from './render-report';
import { toPrecisionPlan } from './to-precision-plan';

const LINEARS: readonly GemmName[] = ['qkv', 'attention-output', 'ffn-intermediate', 'ffn-output'];
const MODES = ['int8-full', 'int8-ffn', 'fp8'] as const;
// Per-GEMM output drift of int8 (scaled per layer: layer 2 is the sensitive one), fp8's per layer.
const GEMM_DRIFT: Record<string, number> = {
  qkv: 0.0001,
  'attention-output': 0.001,
  'ffn-intermediate': 0.0008,
  'ffn-output': 0.0008,
};
const LAYER_WEIGHT = [1, 0.5, 4, 1.5];
const FP8_DRIFT = [0.0004, 0.0002, 0.002, 0.0006];
// Milliseconds: fixed 20, an fp16 layer 10, an fp8 layer 7; each int8 GEMM saves its own amount.
const GEMM_SAVES: Record<string, number> = {
  qkv: 1.5,
  'attention-output': 0.5,
  'ffn-intermediate': 1,
  'ffn-output': 1,
};
const model = { fingerprint: 'sha256:fp16-base-test', config: { numHiddenLayers: 4 } };

/** The float precisions a plan uses, on whole layers or single GEMMs. */
function floatsOf(plan: Candidate): Set<string> {
  const out = new Set<string>();
  for (const l of plan) {
    for (const p of [l.precision, ...Object.values(l.gemms ?? {})])
      if (p === 'fp32' || p === 'fp16') out.add(p);
  }
  return out;
}

function gpuDevice() {
  const seen: { split: EvaluationSplit | 'timed'; plan: Candidate }[] = [];
  const refuseMixed = (plan: Candidate) => {
    // The CUDA backend's rule (precision-spec.ts): one float precision per session.
    if (floatsOf(plan).size > 1) throw new Error(`plan ${describeCandidate(plan)} mixes fp32 and fp16`);
  };
  const drift = (plan: Candidate) =>
    plan.reduce((s, l, i) => {
      if (l.precision === 'fp8') return s + (FP8_DRIFT[i] as number);
      const int8 = [...int8GemmsOf(l, LINEARS)];
      return s + int8.reduce((t, g) => t + (GEMM_DRIFT[g] as number) * (LAYER_WEIGHT[i] as number), 0);
    }, 0);
  const ms = (plan: Candidate) =>
    plan.reduce((s, l) => {
      if (l.precision === 'fp8') return s + 7;
      return s + 10 - [...int8GemmsOf(l, LINEARS)].reduce((t, g) => t + (GEMM_SAVES[g] as number), 0);
    }, 20);
  const evaluate: PlanEvaluator = async (plan, split) => {
    refuseMixed(plan);
    seen.push({ split, plan });
    const d = drift(plan);
    return { score: (split === 'choose' ? 0.9 : 0.88) - d, drift: d };
  };
  const measureLatency = async (plans: readonly Candidate[]) =>
    plans.map((plan) => {
      refuseMixed(plan);
      seen.push({ split: 'timed', plan });
      return ms(plan);
    });
  return { seen, evaluate, measureLatency, ms };
}

const shape = { model, device: 'cuda', batchSize: 32, sequenceLength: 64 };

describe("recommend with basePrecision: 'fp16'", () => {
  it('evaluates and times only fp16-based plans: fp16 baseline, fp16-based sensitivity, fp16 at cost 0', async () => {
    const gpu = gpuDevice();
    const r = await recommend({
      ...shape,
      basePrecision: 'fp16',
      precisions: MODES,
      gemms: LINEARS,
      evaluate: gpu.evaluate,
      measureLatency: gpu.measureLatency,
      maxAccuracyDrop: 0.003,
    });
    // Every plan the device saw: fp16 layers (with int8 GEMM overrides) and quantized layers only.
    expect(gpu.seen.length).toBeGreaterThan(50);
    for (const { plan } of gpu.seen) {
      expect([...floatsOf(plan)].filter((p) => p !== 'fp16')).toEqual([]);
      for (const l of plan) {
        expect(['fp16', ...MODES]).toContain(l.precision);
        if (l.gemms !== undefined) {
          expect(l.precision).toBe('fp16');
          expect(new Set(Object.values(l.gemms))).toEqual(new Set(['int8']));
        }
      }
    }
    for (const p of r.plans) expect(floatsOf(p.plan).has('fp32')).toBe(false);

    // The baseline is all-fp16; drops are relative to it.
    const choose = gpu.seen.filter((s) => s.split === 'choose').map((s) => describeCandidate(s.plan));
    expect(choose[0]).toBe('hhhh');
    expect(r.basePrecision).toBe('fp16');
    expect(r.tables.basePrecision).toBe('fp16');
    expect(r.plans[0]?.label).toBe('hhhh');
    expect(r.baseline.score).toBeCloseTo(0.9, 12);
    for (const p of r.plans) expect(p.drop).toBeCloseTo(0.9 - p.score, 12);

    // Sensitivity: each mode and each int8 GEMM alone on one layer, the other layers fp16.
    expect(choose.slice(1, 8)).toEqual(['Fhhh', 'Nhhh', 'ehhh', 'h[q]hhh', 'h[o]hhh', 'h[i]hhh', 'h[f]hhh']);
    expect(r.tables.sensitivity).toHaveLength(4 * (MODES.length + LINEARS.length));
    for (const e of r.tables.sensitivity) {
      if (e.plan.gemms === undefined) expect(MODES).toContain(e.plan.precision);
      else expect(e.plan.precision).toBe('fp16');
    }

    // The latency fit: fp16, each mode on every layer and alternating with fp16, each GEMM alone.
    const fit = latencyFitPlans(4, MODES, LINEARS, 'fp16').map(describeCandidate);
    expect(fit.slice(0, 4)).toEqual(['hhhh', 'FFFF', 'FhFh', 'hFhF']);
    const timed = gpu.seen.filter((s) => s.split === 'timed').map((s) => describeCandidate(s.plan));
    expect(timed.slice(0, fit.length)).toEqual(fit);
    // fp16 costs 0 (its time is in the fixed part); the others are the change per layer.
    const layer = r.tables.latency.layers[0] ?? {};
    expect(layer.fp16).toBe(0);
    expect(layer.fp32).toBeUndefined();
    expect(r.tables.latency.fixedMs).toBeCloseTo(60, 6);
    expect(layer['int8-full']).toBeCloseTo(-4, 6);
    expect(layer['int8-ffn']).toBeCloseTo(-2, 6);
    expect(layer.fp8).toBeCloseTo(-3, 6);
    expect(r.tables.latency.gemms?.[0]?.qkv?.int8).toBeCloseTo(-1.5, 6);
    for (const p of r.plans) expect(p.latencyMs).toBeCloseTo(gpu.ms(p.plan), 6);

    // The choice: the fastest plan within 0.3 points of fp16, and the fastest such plan scored.
    expect(r.constraintMet).toBe(true);
    expect(r.choice.drop).toBeLessThanOrEqual(0.003 + 1e-12);
    expect(r.plans.filter((p) => p.drop <= 0.003 + 1e-12 && p.latencyMs < r.choice.latencyMs)).toEqual([]);
    expect(r.choice.latencyMs).toBeLessThan(60);
    expect(r.explanation).toMatch(/within 0\.30 points of fp16's accuracy/);
    expect(r.baseline.heldOutScore).toBeCloseTo(0.88, 12);

    // The plan file: the same format, fp16 for the layers left unquantized.
    const plan = parsePrecisionPlan(JSON.parse(JSON.stringify(toPrecisionPlan(r))), 'plan.json');
    expect(plan.layers).toEqual(r.choice.plan);
    for (const f of plan.frontier ?? []) expect(f.layers).not.toContain('fp32');

    // The tables round-trip and recommend the same plan without the device.
    const tables = parseMeasurementTables(JSON.parse(JSON.stringify(r.tables)), 'tables.json');
    expect(tables.basePrecision).toBe('fp16');
    const fromTables = recommendFromTables(tables, { maxAccuracyDrop: 0.003 });
    expect(fromTables.basePrecision).toBe('fp16');
    expect(fromTables.plans[0]?.label).toBe('hhhh');
    expect(fromTables.plans.every((p) => !floatsOf(p.plan).has('fp32'))).toBe(true);
    expect(fromTables.choice.label).toBe(r.choice.label);

    // The report labels the baseline by its precision.
    const html = renderReport(r);
    expect(html).toContain('Sensitivity (one layer quantized, the others fp16)');
    expect(html).toMatch(/<td>accuracy \(choose\)<\/td><td>fp16 90\.00%/);
    expect(html).toContain('text-anchor="middle" fill="#000">fp16</text>');
    expect(html).not.toContain('>fp32</text>');
  });

  it('caches its latencies apart from fp32-based ones', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'samp-rec-')), 'latency.json');
    const gpu = gpuDevice();
    await recommend({
      ...shape,
      basePrecision: 'fp16',
      precisions: ['int8-full'],
      evaluate: gpu.evaluate,
      measureLatency: gpu.measureLatency,
      latencyCache: { file, key: { device: 'cuda:test', variant: 'static scales' } },
      heldOut: false,
    });
    const cache = await readLatencyCache(file);
    expect(cache.entries.map((e) => e.variant)).toEqual(['static scales, fp16 base']);
  });

  it('refuses fp16 or fp32 as a mode, and an unknown base', async () => {
    const gpu = gpuDevice();
    const run = (o: object) =>
      recommend({ ...shape, evaluate: gpu.evaluate, measureLatency: gpu.measureLatency, ...o });
    await expect(run({ basePrecision: 'fp16', precisions: ['int8-full', 'fp16'] })).rejects.toThrow(
      /precisions.*int8-full, int8-ffn, fp8\) with an fp16 base, got fp16/,
    );
    await expect(run({ basePrecision: 'fp16', precisions: ['fp32'] })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(run({ basePrecision: 'bf16' })).rejects.toMatchObject({
      code: 'SAMP_INVALID_ARGUMENT',
      message: expect.stringMatching(/basePrecision.*expected fp32 or fp16, got bf16/),
    });
    expect(gpu.seen).toEqual([]);
  });

  it('refuses fp16-based tables with an fp32 layer, naming the entry', () => {
    const t = JSON.parse(JSON.stringify(tnewsTables()));
    t.basePrecision = 'fp16';
    t.sensitivity[3].plan = { precision: 'fp32', gemms: { qkv: 'int8' } };
    expect(() => parseMeasurementTables(t, 'gpu-tables.json')).toThrow(
      /gpu-tables\.json.*sensitivity\[3\]\.plan\.precision.*no fp32 layer in fp16-based tables/,
    );
  });
});

describe('the default base stays fp32', () => {
  it('tables without basePrecision: fp32 baseline, no field written', () => {
    const r = recommendFromTables(tnewsTables(), { maxAccuracyDrop: 0.01 });
    expect(r.basePrecision).toBe('fp32');
    expect(r.plans[0]?.label).toBe('----');
    expect('basePrecision' in r.tables).toBe(false);
    expect(r.explanation).toMatch(/of fp32's accuracy/);
  });
});

describe("createOutputsEvaluator with basePrecision: 'fp16'", () => {
  it('runs the all-fp16 plan once per split as the reference: agreement and drift are from fp16', async () => {
    const { logits } = devLogits('sst2-en-small');
    const rows = logits.slice(0, 200);
    const calls: string[] = [];
    const fp16 = uniformCandidate(4, 'fp16');
    const evaluate = createOutputsEvaluator({
      basePrecision: 'fp16',
      outputs: async (plan, split) => {
        calls.push(`${split}:${candidateKey(plan)}`);
        // fp8 here: the logits rounded to one decimal (a real, small perturbation).
        return candidateKey(plan) === candidateKey(fp16)
          ? rows
          : rows.map((r) => r.map((x) => Math.round(x * 10) / 10));
      },
    });
    const base = await evaluate(fp16, 'choose');
    const fp8 = await evaluate(uniformCandidate(4, 'fp8'), 'choose');
    expect(base).toEqual({ score: 1, drift: 0 });
    expect(fp8.drift).toBeGreaterThan(0);
    expect(calls).toEqual(['choose:fp16|fp16|fp16|fp16', 'choose:fp8|fp8|fp8|fp8']);
  });
});
