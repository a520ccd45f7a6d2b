import { describeHeadConformance } from '@samp/core/testing';
import { expect } from 'vitest';
import { classificationHead } from '../src';

describeHeadConformance('classification', classificationHead, {
  validateOutput: (result, _row, model) => {
    const n = model.config.numLabels;
    expect(result.logits).toHaveLength(n);
    expect(result.scores).toHaveLength(n);
    expect(Number.isInteger(result.labelId)).toBe(true);
    expect(result.label).toBe(model.config.id2label[result.labelId]);
    expect(result.score).toBe(result.scores[result.labelId]);
    for (const l of result.logits) expect(Number.isFinite(l)).toBe(true);
    if (n > 1) expect(result.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  },
});
