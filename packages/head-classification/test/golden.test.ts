import { loadModel } from '@samp/core';
import { listFixtureModels, readFixtureExpected, readFixtureInputs, relativeError } from '@samp/core/testing';
import { describe, expect, it } from 'vitest';
import { activate, createClassificationHead, dense, readDenseLayer, readSequenceClassifier } from '../src';
import { classifierLogits } from '../src/sequence-classifier';

const TOLERANCE = 1e-5;
const fixtures = listFixtureModels();
const fixture = (name: string) => {
  const f = fixtures.find((x) => x.name === name);
  if (f === undefined) throw new Error(`fixture ${name} is missing from the manifest`);
  return f;
};

/** The fixture's expected last hidden state as an encoder output, with its inputs' attention mask. */
function goldenBatch(name: string) {
  const f = fixture(name);
  const expected = readFixtureExpected(f);
  const hidden = expected?.get('last_hidden_state');
  if (expected === undefined || hidden === undefined) throw new Error(`${name}: no last_hidden_state`);
  const [batchSize, sequenceLength, hiddenSize] = hidden.shape as [number, number, number];
  const input = readFixtureInputs(f);
  expect(input.batchSize).toBe(batchSize);
  expect(input.sequenceLength).toBe(sequenceLength);
  return {
    f,
    expected,
    output: { lastHiddenState: hidden.data, batchSize, sequenceLength, hiddenSize },
    context: { attentionMask: input.attentionMask },
  };
}

describe('logits against transformers (float64 reference)', () => {
  for (const name of [
    'bert-seq-cls',
    'roberta-seq-cls',
    'electra-seq-cls',
    'distilbert-seq-cls',
    'albert-seq-cls',
  ]) {
    it(`${name}: logits within ${TOLERANCE} relative`, async () => {
      const { f, expected, output, context } = goldenBatch(name);
      const model = await loadModel(f.dir, { tokenizer: false });
      const head = await createClassificationHead(model);
      const results = head.decode(output, context);
      const logits = expected.get('logits');
      if (logits === undefined) throw new Error(`${name}: no expected logits`);
      expect(logits.shape).toEqual([output.batchSize, model.config.numLabels]);
      const actual = results.flatMap((r) => r.logits);
      const error = relativeError(actual, logits.data);
      expect(error).toBeLessThanOrEqual(TOLERANCE);
      // The decision follows the logits: the expected argmax is the predicted label.
      results.forEach((r, b) => {
        const row = Array.from(logits.data.subarray(b * r.logits.length, (b + 1) * r.logits.length));
        expect(r.labelId).toBe(row.indexOf(Math.max(...row)));
      });
    });
  }

  it('electra-seq-cls: the head uses GELU (tanh would miss the reference)', async () => {
    const { f, expected, output } = goldenBatch('electra-seq-cls');
    const model = await loadModel(f.dir, { tokenizer: false });
    const classifier = await readSequenceClassifier(model);
    expect(classifier.stages.map((s) => s.activation)).toEqual(['gelu', 'none']);
    const withTanh = {
      ...classifier,
      stages: classifier.stages.map((s, i) => (i === 0 ? { ...s, activation: 'tanh' as const } : s)),
    };
    const stride = output.sequenceLength * output.hiddenSize;
    const actual: number[] = [];
    for (let b = 0; b < output.batchSize; b++)
      actual.push(...classifierLogits(withTanh, output.lastHiddenState, b * stride));
    expect(relativeError(actual, expected.get('logits')?.data ?? [])).toBeGreaterThan(1e-3);
  });
});

describe('pooler against transformers (base models with a pooler)', () => {
  for (const name of ['bert', 'bert-gelu-new', 'xlm-roberta']) {
    it(`${name}: pooler_output within ${TOLERANCE} relative`, async () => {
      const { f, expected, output } = goldenBatch(name);
      const model = await loadModel(f.dir, { tokenizer: false });
      const pooler = await readDenseLayer(model, 'pooler.dense', output.hiddenSize, output.hiddenSize);
      const stride = output.sequenceLength * output.hiddenSize;
      const actual: number[] = [];
      for (let b = 0; b < output.batchSize; b++)
        actual.push(...activate(dense(pooler, output.lastHiddenState, b * stride), 'tanh'));
      const pooled = expected.get('pooler_output');
      if (pooled === undefined) throw new Error(`${name}: no expected pooler_output`);
      expect(relativeError(actual, pooled.data)).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});
