import { describeHeadConformance } from '@samp/core/testing';
import { expect } from 'vitest';
import { type TokenClassificationResult, tokenClassificationHead } from '../src';

// The suite's synthetic batch uses these two texts (see @samp/core/testing head-conformance).
const TEXTS = ['a tiny text', 'two'];

const validateOutput = (
  result: TokenClassificationResult,
  row: number,
  model: { config: { id2label: Readonly<Record<number, string>> } },
) => {
  const types = new Set(Object.values(model.config.id2label).map((l) => l.replace(/^[BIES]-/, '')));
  for (const e of result.entities) {
    expect(types.has(e.type)).toBe(true);
    expect(e.start).toBeLessThan(e.end);
    expect(e.text).toBe(TEXTS[row]?.slice(e.start, e.end));
    expect(e.score).toBeGreaterThan(0);
    expect(e.score).toBeLessThanOrEqual(1);
  }
};

describeHeadConformance('token-classification', tokenClassificationHead, { validateOutput });
describeHeadConformance('token-classification (viterbi)', tokenClassificationHead, {
  models: ['bert-token-cls'],
  createOptions: { decoding: 'viterbi' },
  validateOutput,
});
