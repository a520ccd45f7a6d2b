import { SampError } from '@samp/core';
import { describe, expect, it } from 'vitest';
import { devLogits, recordedAccuracy } from '../test/dev-logits';
import { type Candidate, candidateKey, uniformCandidate } from './candidate';
import { createOutputsEvaluator, scoreOutputs } from './evaluator';

// Rows rounded to one decimal: a real, small perturbation of the logits (like a coarse quantizer).
const rounded = (rows: number[][]) => rows.map((r) => r.map((x) => Math.round(x * 10) / 10));

describe('scoreOutputs', () => {
  it("gives the SST-2 model's recorded dev accuracy from Hugging Face's logits and labels", () => {
    const { logits, labels } = devLogits('sst2-en-small');
    const s = scoreOutputs(logits, logits, labels);
    expect(s.score).toBeCloseTo(recordedAccuracy('sst2-en-small'), 12);
    expect(s.drift).toBe(0);
  });

  it('label-free: agreement with the reference argmax and a small positive KL for perturbed logits', () => {
    const { logits } = devLogits('afqmc-zh-small');
    const perturbed = rounded(logits);
    const s = scoreOutputs(logits, perturbed);
    // Pairs: class 1 wins only when strictly above class 0 (argmax keeps the first of equal scores).
    const same = logits.filter(
      (r, i) =>
        (r[1] as number) > (r[0] as number) === (perturbed[i]?.[1] as number) > (perturbed[i]?.[0] as number),
    ).length;
    expect(s.score).toBe(same / logits.length);
    expect(s.score).toBeGreaterThan(0.95);
    expect(s.score).toBeLessThan(1);
    expect(s.drift).toBeGreaterThan(0);
    expect(s.drift).toBeLessThan(1e-2);
  });

  it('refuses rows that do not line up with the reference, naming the row', () => {
    const { logits } = devLogits('sst2-en-small');
    expect(() => scoreOutputs(logits, logits.slice(1))).toThrow(/expected 872 rows/);
    const bad = logits.map((r, i) => (i === 5 ? [...r, 0] : r));
    try {
      scoreOutputs(logits, bad);
      expect.unreachable();
    } catch (e) {
      expect(SampError.isInstance(e)).toBe(true);
      expect((e as SampError).code).toBe('SAMP_INVALID_ARGUMENT');
      expect((e as Error).message).toMatch(/outputs\[5\]: expected 2 scores, got 3/);
    }
  });
});

describe('createOutputsEvaluator', () => {
  it('runs fp32 once per split as the reference and scores plans against it', async () => {
    const { logits, labels } = devLogits('sst2-en-small');
    const calls: string[] = [];
    const fp32 = uniformCandidate(4, 'fp32');
    const evaluate = createOutputsEvaluator({
      outputs: async (plan: Candidate, split) => {
        calls.push(`${split}:${candidateKey(plan)}`);
        const rows = split === 'choose' ? logits.slice(0, 400) : logits.slice(400);
        return candidateKey(plan) === candidateKey(fp32) ? rows : rounded(rows);
      },
      labels: { choose: labels.slice(0, 400) },
    });
    const int8 = uniformCandidate(4, 'int8-full');
    const base = await evaluate(fp32, 'choose');
    const a = await evaluate(int8, 'choose');
    const b = await evaluate(int8, 'held-out');
    expect(base.score).toBe(
      scoreOutputs(logits.slice(0, 400), logits.slice(0, 400), labels.slice(0, 400)).score,
    );
    expect(a.score).toBe(
      scoreOutputs(logits.slice(0, 400), rounded(logits.slice(0, 400)), labels.slice(0, 400)).score,
    );
    // No held-out labels: agreement with fp32.
    expect(b.score).toBe(scoreOutputs(logits.slice(400), rounded(logits.slice(400))).score);
    expect(calls).toEqual([
      'choose:fp32|fp32|fp32|fp32',
      'choose:int8-full|int8-full|int8-full|int8-full',
      'held-out:fp32|fp32|fp32|fp32',
      'held-out:int8-full|int8-full|int8-full|int8-full',
    ]);
  });
});
