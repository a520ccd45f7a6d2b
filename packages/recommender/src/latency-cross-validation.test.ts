import { describe, expect, it } from 'vitest';
import { planOf, recordedRun } from '../test/recorded-latency';
import { type Candidate, describeCandidate } from './candidate';
import { crossValidateLatency } from './latency-cross-validation';
import { latencyFitPlans } from './latency-fit-plans';
import { checkLatencyTable, fitLatencyTable, type LatencyMeasurement, predictLatency } from './latency-model';
import { leastSquares } from './least-squares';
import { median } from './time-in-rounds';

const shape = { numLayers: 4, device: 'cpu:test', batchSize: 32, sequenceLength: 64 };
const COST: Record<string, number> = { fp32: 10, 'int8-full': 4, 'int8-ffn': 7 };
// A device where embeddings and head take 5 ms and a layer 10 ms in fp32, 4 in int8-full, 7 in int8-ffn;
// `borderMs` is charged per precision change between consecutive layers (0: the additive model is exact).
const truth = (plan: Candidate, borderMs = 0) =>
  plan.reduce(
    (s, l, i) =>
      s + (COST[l.precision] as number) + (i > 0 && plan[i - 1]?.precision !== l.precision ? borderMs : 0),
    5,
  );

// Deterministic noise in [-3%, +3%] (a 32-bit linear congruential generator).
function noise(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return 1 + 0.06 * (x / 2 ** 32 - 0.5);
  };
}

// Every layer-level plan of 4 layers over fp32, int8-full, int8-ffn (81 plans).
const allPlans: Candidate[] = Array.from({ length: 81 }, (_, n) =>
  [0, 1, 2, 3].map((i) => ({
    precision: (['fp32', 'int8-full', 'int8-ffn'] as const)[Math.floor(n / 3 ** i) % 3] as 'fp32',
  })),
);

describe('latency fit on repeated, noisy measurements', () => {
  it('recovers the costs from 7 plans × 3 rounds despite one slow round of FFFF; one round of 3 plans does not', () => {
    const plans = latencyFitPlans(4, ['int8-full', 'int8-ffn']);
    const next = noise(9);
    // Round 1 measures FFFF 15% slow, as the quiet Xeon did once (3.56 vs 4.09 ms, bench/RESULTS.md).
    const rounds = [0, 1, 2].map((r) =>
      plans.map((plan) => truth(plan) * next() * (r === 1 && describeCandidate(plan) === 'FFFF' ? 1.15 : 1)),
    );
    const medians = plans.map((plan, i) => ({ plan, ms: median(rounds.map((ms) => ms[i] as number)) }));
    const table = fitLatencyTable(medians, shape);
    expect(table.fixedMs).toBeCloseTo(45, -0.5);
    expect(table.layers[0]?.['int8-full']).toBeCloseTo(-6, 0);
    expect(table.layers[0]?.['int8-ffn']).toBeCloseTo(-3, 0);
    for (const plan of allPlans) {
      const error = (predictLatency(table, plan).ms as number) / truth(plan) - 1;
      expect(Math.abs(error), describeCandidate(plan)).toBeLessThan(0.05);
    }
    // The old procedure: fp32 and each mode on every layer, once, in the slow round.
    const old = fitLatencyTable(
      [0, 1, 4].map((i) => ({ plan: plans[i] as Candidate, ms: rounds[1]?.[i] as number })),
      shape,
    );
    const ffff = planOf('FFFF');
    expect((predictLatency(old, ffff).ms as number) / truth(ffff) - 1).toBeGreaterThan(0.1);
  });

  it('leave-one-out over the fit plans exposes a cost per precision change, and is exact without one', () => {
    const plans = latencyFitPlans(4, ['int8-full', 'int8-ffn']);
    const exact = crossValidateLatency(
      plans.map((plan) => ({ plan, ms: truth(plan) })),
      shape,
    );
    expect(exact.map((c) => c.label)).toEqual(plans.map(describeCandidate));
    for (const c of exact) expect(Math.abs(c.errorPct)).toBeLessThan(1e-9);
    // 1.5 ms per change (15% of an fp32 layer): the uniform plans, priced from the alternating ones
    // (three changes each), miss by 20-32%.
    const withBorders = crossValidateLatency(
      plans.map((plan) => ({ plan, ms: truth(plan, 1.5) })),
      shape,
    );
    expect(Math.max(...withBorders.map((c) => Math.abs(c.errorPct)))).toBeGreaterThan(20);
  });

  it('skips a plan whose price the others do not determine', () => {
    const three = ['----', 'FFFF', 'NNNN'].map((l) => ({ plan: planOf(l), ms: truth(planOf(l)) }));
    // Without fp32 the constant is not separable from the costs; without FFFF int8-full is unknown.
    expect(crossValidateLatency(three, shape)).toEqual([]);
    const checks = crossValidateLatency(
      [...three, { plan: planOf('--FF'), ms: truth(planOf('--FF')) }],
      shape,
    );
    expect(checks.map((c) => c.label)).toEqual(['----', 'FFFF', '--FF']);
  });
});

describe('the recorded Xeon runs (issue 9)', () => {
  const sst2 = recordedRun('sst2');
  const tnews = recordedRun('tnews');
  const retimed = (run: typeof sst2) => run.measurements.filter((m) => m.round === 1);

  it('SST-2: the table fitted on one round prices the re-timed FFFF 13.1% low; FFFF itself moved 15% between rounds', () => {
    const checks = checkLatencyTable(sst2.table, retimed(sst2));
    expect(checks.map((c) => c.label)).toEqual(['----', 'FFFF', '--FF', '-NN-']);
    expect(checks[1]?.errorPct).toBeCloseTo(-13.1, 1);
    const ffff = sst2.measurements.filter((m) => describeCandidate(m.plan) === 'FFFF').map((m) => m.ms);
    expect(ffff).toHaveLength(2);
    expect((ffff[1] as number) / (ffff[0] as number)).toBeGreaterThan(1.15);
    // Within the re-timing round the additive model holds: --FF is the mean of ---- and FFFF within 1%.
    const [fp32, full, half] = retimed(sst2).map((m) => m.ms) as [number, number, number];
    expect(Math.abs(half / ((fp32 + full) / 2) - 1)).toBeLessThan(0.01);
  });

  it('leave-one-out on every recorded measurement: each re-timed plan within 10% (SST-2 and TNEWS)', () => {
    for (const [run, limit] of [
      [sst2, 10],
      [tnews, 5],
    ] as const) {
      const checks = crossValidateLatency(run.measurements, shape);
      expect(checks).toHaveLength(7);
      for (const [i, c] of checks.entries()) {
        if (run.measurements[i]?.round === 1) expect(Math.abs(c.errorPct), c.label).toBeLessThan(limit);
      }
    }
    // SST-2's worst re-timed plan is FFFF, just inside; the fit round's own FFFF is the outlier (+16%).
    const sst2Checks = crossValidateLatency(sst2.measurements, shape);
    expect(sst2Checks[4]?.errorPct).toBeCloseTo(-9.8, 1);
    expect(sst2Checks[1]?.errorPct).toBeCloseTo(16.1, 1);
  });

  it('no cost per precision change: --FF is the mean of ---- and FFFF of its round within 1.5%, either sign; a border term leaves SST-2 FFFF off', () => {
    // The one within-round test of a border (--FF has one; ---- and FFFF none).
    const gap = (run: typeof sst2) => {
      const [fp32, full, half] = retimed(run).map((m) => m.ms) as [number, number, number];
      return half / ((fp32 + full) / 2) - 1;
    };
    expect(gap(sst2)).toBeGreaterThan(0);
    expect(gap(tnews)).toBeLessThan(0);
    for (const run of [sst2, tnews]) expect(Math.abs(gap(run))).toBeLessThan(0.015);
    // Leave out the re-timed SST-2 FFFF and fit fixed + per-layer costs + a cost per change: still > 10% off.
    const borders = (plan: Candidate) =>
      plan.reduce((s, l, i) => s + (i > 0 && plan[i - 1]?.precision !== l.precision ? 1 : 0), 0);
    const row = (m: LatencyMeasurement) => {
      const count = (p: string) => m.plan.filter((l) => l.precision === p).length;
      return [1, count('int8-full'), count('int8-ffn'), borders(m.plan)];
    };
    const others = sst2.measurements.filter((_, i) => i !== 4);
    const w = leastSquares(
      others.map(row),
      others.map((m) => m.ms),
    );
    const m = sst2.measurements[4] as LatencyMeasurement;
    expect(describeCandidate(m.plan)).toBe('FFFF');
    const predicted = row(m).reduce((s, x, j) => s + x * (w[j] as number), 0);
    expect(Math.abs(predicted / m.ms - 1)).toBeGreaterThan(0.1);
  });
});
