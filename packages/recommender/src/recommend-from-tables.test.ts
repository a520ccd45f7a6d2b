import { describe, expect, it } from 'vitest';
import { tnewsTables } from '../test/tables-fixture';
import { candidateKey, uniformCandidate } from './candidate';
import { predictLatency } from './latency-model';
import { recommendFromTables } from './recommend-from-tables';
import type { EvaluatedPlan } from './recommendation';
import { createAccuracyPredictor } from './sensitivity';

describe('recommendFromTables (the committed TNEWS CPU tables)', () => {
  const tables = tnewsTables();

  it('scores SAMP prefixes, the mixed family and the greedy path, all predicted, fp32 first', () => {
    const r = recommendFromTables(tables);
    expect(r.evaluations).toBe(0);
    expect(r.plans[0]?.label).toBe('----');
    expect(r.plans.every((p) => p.scoreSource === 'predicted')).toBe(true);
    const families = new Set(r.plans.flatMap((p) => p.families));
    for (const f of ['prefix:int8-full', 'prefix:int8-ffn', 'mixed', 'greedy', 'single-layer'])
      expect(families).toContain(f);
    // Each mode's prefix plans follow its sensitivity order.
    for (const [mode, order] of Object.entries(r.orders)) {
      const prefixes = r.plans.filter((p) => p.families.includes(`prefix:${mode}`));
      expect(prefixes).toHaveLength(5);
      const third = prefixes.find((p) => p.plan.filter((l) => l.precision === mode).length === 2);
      expect(third?.plan.map((_, i) => (order.slice(0, 2).includes(i) ? mode : 'fp32'))).toEqual(
        third?.plan.map((l) => l.precision),
      );
    }
    const predict = createAccuracyPredictor(tables.baseline.score, tables.sensitivity);
    for (const p of r.plans) {
      expect(p.latencyMs).toBeCloseTo(predictLatency(tables.latency, p.plan).ms as number, 9);
      expect(p.score).toBeCloseTo(predict(p.plan).score as number, 12);
    }
  });

  it('max-accuracy-drop: the fastest plan predicted within the drop, and no faster plan within it', () => {
    for (const maxAccuracyDrop of [0, 0.005, 0.01, 0.05]) {
      const r = recommendFromTables(tables, { maxAccuracyDrop });
      expect(r.constraintMet).toBe(true);
      expect(r.choice.drop).toBeLessThanOrEqual(maxAccuracyDrop + 1e-12);
      expect(
        r.plans.filter((p) => p.drop <= maxAccuracyDrop + 1e-12 && p.latencyMs < r.choice.latencyMs),
      ).toEqual([]);
    }
  });

  it('max-latency: the most accurate plan within the limit; an impossible limit gives the fastest plan and why', () => {
    const fp32 = recommendFromTables(tables).plans[0] as EvaluatedPlan;
    const r = recommendFromTables(tables, { maxLatencyMs: fp32.latencyMs * 0.99 });
    expect(r.choice.latencyMs).toBeLessThanOrEqual(fp32.latencyMs * 0.99);
    expect(r.plans.filter((p) => p.latencyMs <= fp32.latencyMs * 0.99 && p.score > r.choice.score)).toEqual(
      [],
    );
    const impossible = recommendFromTables(tables, { maxLatencyMs: 1 });
    expect(impossible.constraintMet).toBe(false);
    expect(impossible.choice).toBe(impossible.frontier[0]);
    expect(impossible.explanation).toMatch(/over the 1 ms limit/);
  });

  it('default: a plan on the frontier within a 1-point drop', () => {
    const r = recommendFromTables(tables);
    expect(r.rule).toEqual({ kind: 'default', maxDrop: 0.01 });
    expect(r.frontier).toContain(r.choice);
    expect(r.choice.drop).toBeLessThanOrEqual(0.01);
  });

  it('another shape: latency estimated from the table by tokens', () => {
    const r = recommendFromTables(tables, { batchSize: 64, sequenceLength: 64 });
    const key = candidateKey(uniformCandidate(4, 'fp32'));
    const base = r.plans.find((p) => candidateKey(p.plan) === key) as EvaluatedPlan;
    expect(base.latencyMs).toBeCloseTo(tables.latency.fixedMs * 2, 9);
  });

  it('prefixes only, without the greedy search', () => {
    const r = recommendFromTables(tables, { greedy: false });
    expect(r.plans.some((p) => p.families.includes('greedy'))).toBe(false);
  });

  it('refuses both constraints at once, and bad numbers', () => {
    expect(() => recommendFromTables(tables, { maxAccuracyDrop: 0.01, maxLatencyMs: 10 })).toThrow(
      /not both/,
    );
    expect(() => recommendFromTables(tables, { maxAccuracyDrop: 1.5 })).toThrow(/between 0 and 1/);
    expect(() => recommendFromTables(tables, { maxLatencyMs: -1 })).toThrow(
      /positive number of milliseconds/,
    );
  });
});
