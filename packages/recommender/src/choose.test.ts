import { SampError } from '@samp/core';
import { describe, expect, it } from 'vitest';
import { uniformCandidate } from './candidate';
import { choosePlan, kneeOf } from './choose';
import { paretoFrontier } from './frontier';
import type { EvaluatedPlan } from './recommendation';

const plan = (label: string, score: number, latencyMs: number): EvaluatedPlan => ({
  plan: uniformCandidate(2, 'fp32'),
  label,
  families: [],
  score,
  drop: 0.9 - score,
  scoreSource: 'evaluated',
  latencyMs,
});

// fp32 at 0.9 / 100 ms; a curve that gets steep past `c`.
const plans = [
  plan('fp32', 0.9, 100),
  plan('a', 0.899, 80),
  plan('b', 0.897, 65),
  plan('c', 0.895, 55),
  plan('d', 0.88, 50),
  plan('e', 0.85, 45),
  plan('slow-bad', 0.86, 95),
];
const shape = { metric: 'accuracy', batchSize: 32, sequenceLength: 64 };

describe('choosePlan', () => {
  it('max-accuracy-drop: the fastest plan within the drop', () => {
    expect(choosePlan(plans, { kind: 'max-accuracy-drop', maxDrop: 0.01 }, shape).choice.label).toBe('c');
    expect(choosePlan(plans, { kind: 'max-accuracy-drop', maxDrop: 0.02 }, shape).choice.label).toBe('d');
    expect(choosePlan(plans, { kind: 'max-accuracy-drop', maxDrop: 0 }, shape).choice.label).toBe('fp32');
  });

  it('max-latency: the most accurate plan within the limit', () => {
    const c = choosePlan(plans, { kind: 'max-latency', maxLatencyMs: 70 }, shape);
    expect(c.choice.label).toBe('b');
    expect(c.constraintMet).toBe(true);
  });

  it('an impossible latency limit: the closest (fastest) plan and by how much it misses', () => {
    const c = choosePlan(plans, { kind: 'max-latency', maxLatencyMs: 30 }, shape);
    expect(c.constraintMet).toBe(false);
    expect(c.choice.label).toBe('e');
    expect(c.explanation).toMatch(
      /e, is predicted at 45\.00 ms at batch 32 × sequence 64, 15\.00 ms \(50\.0%\) over the 30 ms limit/,
    );
  });

  it('default: the knee of the frontier within the default drop', () => {
    const c = choosePlan(plans, { kind: 'default', maxDrop: 0.01 }, shape);
    // Within 1 point: fp32, a, b, c. Normalized speed gain minus loss: a .44-.2, b .78-.6, c 1-1 → a.
    expect(c.choice.label).toBe('a');
    expect(c.explanation).toMatch(/knee/);
  });

  it('rejects negative or non-finite limits with a typed error', () => {
    for (const rule of [
      { kind: 'max-accuracy-drop', maxDrop: -0.1 },
      { kind: 'max-latency', maxLatencyMs: 0 },
      { kind: 'max-latency', maxLatencyMs: Number.NaN },
    ] as const) {
      try {
        choosePlan(plans, rule, shape);
        expect.unreachable();
      } catch (e) {
        expect(SampError.isInstance(e) && e.code).toBe('SAMP_INVALID_ARGUMENT');
      }
    }
  });
});

describe('kneeOf', () => {
  it('a fastest end that loses nothing is the knee', () => {
    expect(kneeOf([plan('fast', 0.9, 10), plan('fp32', 0.9, 20)].slice(0, 1))?.label).toBe('fast');
    expect(kneeOf(paretoFrontier([plan('fp32', 0.9, 20), plan('fast', 0.9, 10)]))?.label).toBe('fast');
  });
});
