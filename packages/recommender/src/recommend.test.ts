import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tnewsTables } from '../test/tables-fixture';
import { type Candidate, candidateKey, describeCandidate, int8GemmsOf } from './candidate';
import type { EvaluationSplit, PlanEvaluator } from './evaluator';
import { readLatencyCache } from './latency-cache';
import { predictLatency } from './latency-model';
import { type RecommendProgress, recommend } from './recommend';
import { recommendFromTables } from './recommend-from-tables';
import type { EvaluatedPlan } from './recommendation';
import { renderReport } from './render-report';
import { createAccuracyPredictor } from './sensitivity';

// A backend stand-in built from the real TNEWS measurements: plans score as the tables predict (the
// held-out split 1 point lower across the board) and take the table's latency. recommend() sees only
// these injected functions, exactly as it sees a real backend's.
const tables = tnewsTables();
const model = { fingerprint: tables.model.fingerprint, config: { numHiddenLayers: 4 } };
const predict = createAccuracyPredictor(tables.baseline.score, tables.sensitivity);

function backend() {
  const calls: { split: EvaluationSplit; label: string }[] = [];
  const timed: string[] = [];
  const evaluate: PlanEvaluator = async (plan, split) => {
    calls.push({ split, label: describeCandidate(plan) });
    const p = predict(plan);
    if (p.missing !== undefined) throw new Error(p.missing);
    return { score: split === 'choose' ? p.score : p.score - 0.01, drift: p.drift ?? 0 };
  };
  const measureLatency = async (plans: readonly Candidate[]) => {
    timed.push(...plans.map(describeCandidate));
    return plans.map((plan) => predictLatency(tables.latency, plan).ms as number);
  };
  return { calls, timed, evaluate, measureLatency };
}

const base = { model, device: 'cpu', batchSize: 32, sequenceLength: 64 };

describe('recommend', () => {
  it('sensitivity, latency fit, search, verification and held-out, in that order; same choice as from the tables', async () => {
    const b = backend();
    const phases: RecommendProgress['phase'][] = [];
    const r = await recommend({
      ...base,
      evaluate: b.evaluate,
      measureLatency: b.measureLatency,
      maxAccuracyDrop: 0.01,
      onProgress: (p) => {
        if (phases[phases.length - 1] !== p.phase) phases.push(p.phase);
      },
    });
    expect(phases).toEqual(['baseline', 'sensitivity', 'latency', 'search', 'verify', 'held-out']);
    // 1 baseline + 4 layers × 2 modes, then each proposal once (the cached ones not again).
    const choose = b.calls.filter((c) => c.split === 'choose').map((c) => c.label);
    expect(choose.slice(0, 9)).toEqual([
      '----',
      'F---',
      'N---',
      '-F--',
      '-N--',
      '--F-',
      '--N-',
      '---F',
      '---N',
    ]);
    expect(new Set(choose).size).toBe(choose.length);
    // Latency fit: fp32, each mode on every layer and on alternating layers, in three rounds, each round
    // starting one plan further along.
    const fit = ['----', 'FFFF', 'F-F-', '-F-F', 'NNNN', 'N-N-', '-N-N'];
    expect(b.timed.slice(0, 21)).toEqual([
      ...fit,
      ...fit.slice(1),
      fit[0],
      ...fit.slice(2),
      ...fit.slice(0, 2),
    ]);
    expect(r.latencyFit?.map((c) => c.label)).toEqual(fit);
    for (const c of r.latencyFit ?? []) expect(Math.abs(c.errorPct)).toBeLessThan(1e-6);
    expect(renderReport(r)).toContain('Leave-one-out on the plans the model was fitted on');
    const fromTables = recommendFromTables(r.tables, { maxAccuracyDrop: 0.01 });
    expect(r.choice.label).toBe(fromTables.choice.label);
    expect(r.plans.every((p) => p.scoreSource === 'evaluated')).toBe(true);
    expect(r.tables.sensitivity).toHaveLength(8);
    expect(r.evaluations).toBe(choose.length + b.calls.filter((c) => c.split === 'held-out').length);
    // Held-out: fp32 first, then the frontier and the choice; drops against fp32's held-out score.
    const heldOut = b.calls.filter((c) => c.split === 'held-out').map((c) => c.label);
    expect(heldOut[0]).toBe('----');
    for (const p of r.frontier) expect(heldOut).toContain(p.label);
    expect(r.choice.heldOutDrop).toBeCloseTo(r.choice.drop, 12);
    expect(r.baseline.heldOutScore).toBeCloseTo(tables.baseline.score - 0.01, 12);
    // Latency: fitted on the uniform plans, exact here, and checked on re-timed plans.
    expect(r.latencyChecks.length).toBeGreaterThanOrEqual(r.frontier.length);
    for (const c of r.latencyChecks) {
      expect(Math.abs(c.errorPct)).toBeLessThan(1e-6);
      expect(Math.abs(c.loadAdjustedErrorPct as number)).toBeLessThan(1e-6);
    }
    expect(r.latencyChecks[0]?.label).toBe('----');
  });

  it('caches latencies per device, model and shape: a second run times only the plans it verifies', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'samp-rec-')), 'latency.json');
    const first = backend();
    const latencyCache = { file, key: { device: 'cpu:test', variant: 'dynamic scales' } };
    await recommend({
      ...base,
      evaluate: first.evaluate,
      measureLatency: first.measureLatency,
      latencyCache,
    });
    const cache = await readLatencyCache(file);
    expect(cache.entries).toHaveLength(1);
    expect(cache.entries[0]).toMatchObject({
      device: 'cpu:test',
      model: model.fingerprint,
      batchSize: 32,
      sequenceLength: 64,
    });
    expect(cache.entries[0]?.table?.fixedMs).toBeCloseTo(tables.latency.fixedMs, 6);
    const second = backend();
    const r = await recommend({
      ...base,
      evaluate: second.evaluate,
      measureLatency: second.measureLatency,
      latencyCache,
    });
    const verified = [
      ...new Set([
        r.plans[0] as EvaluatedPlan,
        ...r.frontier,
        r.choice,
        ...r.plans.filter(
          (p) =>
            p.families.some((f) => f.startsWith('prefix:')) &&
            p.plan.filter((l) => l.precision !== 'fp32').length === 2,
        ),
      ]),
    ].map((p) => p.label);
    // The verified plans only, in three rounds.
    expect(second.timed).toHaveLength(3 * verified.length);
    expect(second.timed.slice(0, verified.length)).toEqual(verified);
    expect([...second.timed].sort()).toEqual([...verified, ...verified, ...verified].sort());
    // No measurer at another shape: the cached table is scaled (work per token).
    const third = backend();
    const other = await recommend({
      ...base,
      batchSize: 64,
      evaluate: third.evaluate,
      latencyCache,
      heldOut: false,
    });
    expect(other.tables.latency.estimatedFrom).toEqual([{ batchSize: 32, sequenceLength: 64 }]);
    expect(other.plans[0]?.latencyMs).toBeCloseTo(tables.latency.fixedMs * 2, 6);
    expect(third.calls.every((c) => c.split === 'choose')).toBe(true);
    expect(JSON.parse(await readFile(file, 'utf8')).entries).toHaveLength(1);
  });

  it('without a measurer, table or cache: a typed error saying plans cannot be priced', async () => {
    const b = backend();
    await expect(recommend({ ...base, evaluate: b.evaluate })).rejects.toMatchObject({
      code: 'SAMP_INVALID_ARGUMENT',
      message: expect.stringMatching(/cannot price plans/),
    });
  });

  it('per-GEMM search: single-GEMM sensitivities and costs, per-GEMM plans found by the greedy walk', async () => {
    // A device where QKV in int8 saves 3 ms per layer and barely moves the outputs, the attention output
    // saves as much but drifts a lot, and each FFN GEMM saves 1 ms.
    const gemms = ['qkv', 'attention-output', 'ffn-intermediate', 'ffn-output'] as const;
    const drift = { qkv: 0.0001, 'attention-output': 0.01, 'ffn-intermediate': 0.002, 'ffn-output': 0.002 };
    const saves = { qkv: 3, 'attention-output': 3, 'ffn-intermediate': 1, 'ffn-output': 1 };
    const sum = (plan: Candidate, of: Record<(typeof gemms)[number], number>) =>
      plan.reduce(
        (s, l) => s + [...int8GemmsOf(l, gemms)].reduce((t, g) => t + of[g as (typeof gemms)[number]], 0),
        0,
      );
    const evaluate: PlanEvaluator = async (plan) => ({
      score: 0.9 - sum(plan, drift),
      drift: sum(plan, drift),
    });
    const measureLatency = async (plans: readonly Candidate[]) => plans.map((plan) => 100 - sum(plan, saves));
    const r = await recommend({ ...base, evaluate, measureLatency, gemms, maxAccuracyDrop: 0.001 });
    expect(r.tables.gemms).toEqual([...gemms]);
    expect(r.tables.sensitivity).toHaveLength(4 * (2 + 4));
    expect(r.tables.latency.gemms?.[0]?.qkv?.int8).toBeCloseTo(-3, 6);
    expect(r.tables.latency.layers[0]?.['int8-full']).toBeCloseTo(-8, 6);
    // Within 0.1 point only QKV can go to int8, on every layer: a per-GEMM plan SAMP's prefixes never reach.
    expect(r.choice.label).toBe('-[q]-[q]-[q]-[q]');
    expect(r.choice.families).toContain('greedy');
    expect(r.choice.latencyMs).toBeCloseTo(88, 6);
    expect(r.choice.drop).toBeCloseTo(0.0004, 12);
  });

  it('rejects an evaluator score outside [0, 1], naming the plan', async () => {
    const b = backend();
    await expect(
      recommend({ ...base, evaluate: async () => ({ score: 42 }), measureLatency: b.measureLatency }),
    ).rejects.toThrow(/returned \{"score":42\} for plan ----; expected \{ score \} with score in \[0, 1\]/);
  });
});

// Keep the key helper honest: distinct plans, distinct keys.
it('candidate keys tell per-GEMM plans apart', () => {
  expect(candidateKey([{ precision: 'fp32', gemms: { qkv: 'int8' } }])).not.toBe(
    candidateKey([{ precision: 'fp32' }]),
  );
});
