import { describeHeadConformance } from '@samp/core/testing';
import { expect } from 'vitest';
import { textMatchingHead } from '../src';

describeHeadConformance('text-matching', textMatchingHead, {
  validateOutput: (result, _row, model) => {
    expect(Number.isFinite(result.score)).toBe(true);
    if ('logits' in result) {
      expect(model.config.architectures.some((a) => a.endsWith('ForSequenceClassification'))).toBe(true);
      expect(result.logits).toHaveLength(model.config.numLabels);
    } else {
      expect(Math.abs(result.score)).toBeLessThanOrEqual(1 + 1e-12);
    }
  },
});

describeHeadConformance('text-matching (bi-encoder, cls pooling)', textMatchingHead, {
  models: ['bert', 'xlm-roberta', 'electra-seq-cls'],
  createOptions: { mode: 'bi-encoder', pooling: 'cls' },
  validateOutput: (result) => expect(Object.keys(result)).toEqual(['score']),
});
