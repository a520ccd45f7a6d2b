import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Point {
  label: string;
  score: number;
  drop: number;
  latencyMs: number;
}
interface Report {
  rule: { kind: string; maxDrop?: number; maxLatencyMs?: number };
  constraintMet: boolean;
  explanation: string;
  baseline: { score: number };
  orders: Record<string, number[]>;
  plans: number;
  choice: Point;
  frontier: Point[];
  plan: {
    format: string;
    model: { numHiddenLayers: number };
    layers: { precision: string }[];
    predicted: Record<string, number>;
  };
}

// Run as users run it (it imports the built @samp/recommender), on the committed TNEWS CPU table.
const script = join(import.meta.dirname, '..', 'recommender-only.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

describe('examples/recommender-only', () => {
  it('only needs @samp/recommender', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies)).toEqual(['@samp/recommender']);
  });

  it('prints the chosen plan, the frontier and the PrecisionPlan (text)', () => {
    const r = run();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^choice {5}[-FN]{4} {2}\((fp32|int8-full|int8-ffn)(, (fp32|int8-full|int8-ffn)){3}\)$/m,
    );
    expect(r.stdout).toMatch(/^ +plan +accuracy % +drop +ms \(pred\)$/m);
    expect(r.stdout).toContain('"format": "samp.precision-plan"');
  });

  it('the default rule: a frontier plan within 1 point; the plan document matches the choice', () => {
    const r = run('--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.rule).toEqual({ kind: 'default', maxDrop: 0.01 });
    expect(report.frontier.map((p) => p.label)).toContain(report.choice.label);
    expect(report.choice.drop).toBeLessThanOrEqual(0.01);
    // Fastest first, each point more accurate than every faster one.
    for (let i = 1; i < report.frontier.length; i++) {
      expect(report.frontier[i]?.latencyMs).toBeGreaterThan(report.frontier[i - 1]?.latencyMs as number);
      expect(report.frontier[i]?.score).toBeGreaterThan(report.frontier[i - 1]?.score as number);
    }
    expect(report.plan.layers).toHaveLength(4);
    expect(report.plan.predicted.latencyMs).toBe(report.choice.latencyMs);
    expect(Object.keys(report.orders).sort()).toEqual(['int8-ffn', 'int8-full']);
  });

  it('a latency limit: the most accurate plan within it; an impossible one exits 1 and says why', () => {
    const base = JSON.parse(run('--json').stdout) as Report;
    const limit = base.choice.latencyMs * 1.01;
    const ok = JSON.parse(run('--json', '--max-latency-ms', String(limit)).stdout) as Report;
    expect(ok.constraintMet).toBe(true);
    expect(ok.choice.latencyMs).toBeLessThanOrEqual(limit);
    const impossible = run('--json', '--max-latency-ms', '1');
    expect(impossible.status).toBe(1);
    expect(impossible.stderr).toMatch(
      /^recommender-only: no plan meets the constraint: the fastest of \d+ plans, [-FN]{4}, is predicted at [\d.]+ ms at batch 32 × sequence 64, .* over the 1 ms limit/,
    );
    // Another shape: latencies scale with the tokens of a batch.
    const doubled = JSON.parse(run('--json', '--batch-size', '64').stdout) as Report;
    expect(doubled.choice.latencyMs).toBeCloseTo(base.choice.latencyMs * 2, 6);
  });
});
