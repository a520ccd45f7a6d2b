import { InvalidArgumentError } from '@samp/core';
import { describe, expect, it } from 'vitest';
import { classificationHead, createClassificationHead } from '../src';
import { pseudoRandom, tinyBertConfig, writeSyntheticModel } from './helpers/synthetic-model';

const H = 8;

/** An independent reference: BERT's pooler (dense + tanh on token 0) then the classifier, per row. */
function referenceLogits(values: Map<string, number[]>, hidden: Float32Array, seq: number, rows: number) {
  const get = (n: string) => values.get(n) ?? [];
  const [pw, pb, cw, cb] = [
    get('pooler.dense.weight'),
    get('pooler.dense.bias'),
    get('classifier.weight'),
    get('classifier.bias'),
  ];
  const f = (v: number) => Math.fround(v);
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const x = Array.from(hidden.subarray(r * seq * H, r * seq * H + H));
    const pooled = pb.map((b, i) =>
      Math.tanh(f(b) + x.reduce((s, xj, j) => s + f(pw[i * H + j] ?? 0) * xj, 0)),
    );
    out.push(cb.map((b, i) => f(b) + pooled.reduce((s, pj, j) => s + f(cw[i * H + j] ?? 0) * pj, 0)));
  }
  return out;
}

function batch(rows: number, seq: number, seed: number) {
  const lastHiddenState = Float32Array.from(pseudoRandom(rows * seq * H, seed).map((v) => 3 * v));
  const attentionMask = new Int32Array(rows * seq).fill(1);
  return {
    output: { lastHiddenState, batchSize: rows, sequenceLength: seq, hiddenSize: H },
    context: { attentionMask },
  };
}

describe('multi-label classification (problem_type multi_label_classification)', async () => {
  const id2label = { 0: 'sports', 1: 'politics', 2: 'tech', 3: 'art' };
  const { model, values } = await writeSyntheticModel(
    tinyBertConfig({ problem_type: 'multi_label_classification', id2label }),
  );

  it('reads the problem type from config.json and applies a sigmoid per label', async () => {
    const head = await createClassificationHead(model);
    expect(head.problemType).toBe('multi_label_classification');
    const { output, context } = batch(5, 3, 11);
    const results = head.decode(output, context);
    const reference = referenceLogits(values, output.lastHiddenState, 3, 5);
    results.forEach((r, row) => {
      const ref = reference[row] ?? [];
      r.logits.forEach((l, i) => {
        expect(l).toBeCloseTo(ref[i] ?? Number.NaN, 12);
      });
      const sig = ref.map((l) => 1 / (1 + Math.exp(-l)));
      r.scores.forEach((s, i) => {
        expect(s).toBeCloseTo(sig[i] ?? Number.NaN, 12);
      });
      const expected = sig
        .map((s, i) => ({ s, i }))
        .filter((x) => x.s >= 0.5)
        .sort((a, b) => b.s - a.s)
        .map((x) => id2label[x.i as 0 | 1 | 2 | 3]);
      expect(r.labels?.map((l) => l.label)).toEqual(expected);
      expect(r.score).toBe(Math.max(...r.scores));
    });
  });

  it('the threshold option moves the cut', async () => {
    const { output, context } = batch(6, 2, 29);
    const loose = (await createClassificationHead(model, { threshold: 0.05 })).decode(output, context);
    const strict = (await createClassificationHead(model, { threshold: 0.95 })).decode(output, context);
    let differs = false;
    loose.forEach((r, row) => {
      expect(r.labels?.every((l) => l.score >= 0.05)).toBe(true);
      expect(strict[row]?.labels?.every((l) => l.score >= 0.95)).toBe(true);
      expect(r.scores.filter((s) => s >= 0.05)).toHaveLength(r.labels?.length ?? -1);
      if ((r.labels?.length ?? 0) !== (strict[row]?.labels?.length ?? 0)) differs = true;
    });
    expect(differs).toBe(true);
  });

  it('rejects a threshold outside [0, 1] and an unknown problem type', async () => {
    await expect(createClassificationHead(model, { threshold: 1.5 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(createClassificationHead(model, { problemType: 'ranking' as never })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe('regression (num_labels 1)', async () => {
  const { model, values } = await writeSyntheticModel(tinyBertConfig({ num_labels: 1 }), 3);

  it('returns the raw value as the score when num_labels is 1 and no problem_type is given', async () => {
    expect(model.config.problemType).toBeUndefined();
    const head = await createClassificationHead(model);
    expect(head.problemType).toBe('regression');
    const { output, context } = batch(4, 5, 5);
    const reference = referenceLogits(values, output.lastHiddenState, 5, 4);
    head.decode(output, context).forEach((r, row) => {
      expect(r.logits).toHaveLength(1);
      expect(r.score).toBeCloseTo(reference[row]?.[0] ?? Number.NaN, 12);
      expect(r.score).toBe(r.logits[0]);
      expect(r.labelId).toBe(0);
      expect(r.label).toBe('LABEL_0');
      expect(r.labels).toBeUndefined();
    });
  });

  it('problem_type regression in config.json is honoured too', async () => {
    const { model: m } = await writeSyntheticModel(
      tinyBertConfig({ num_labels: 1, problem_type: 'regression' }),
    );
    const { output, context } = batch(2, 2, 9);
    const [r] = (await createClassificationHead(m)).decode(output, context);
    expect(r?.score).toBe(r?.logits[0]);
  });
});

describe('single-label and support checks', async () => {
  const { model, values } = await writeSyntheticModel(tinyBertConfig({ num_labels: 3 }), 13);

  it('softmax of the logits, label = argmax', async () => {
    const { output, context } = batch(3, 4, 21);
    const reference = referenceLogits(values, output.lastHiddenState, 4, 3);
    (await createClassificationHead(model)).decode(output, context).forEach((r, row) => {
      const ref = reference[row] ?? [];
      const m = Math.max(...ref);
      const z = ref.reduce((s, l) => s + Math.exp(l - m), 0);
      r.scores.forEach((s, i) => {
        expect(s).toBeCloseTo(Math.exp((ref[i] ?? 0) - m) / z, 12);
      });
      expect(r.labelId).toBe(ref.indexOf(m));
    });
  });

  it('refuses a base model and a token-classification model, naming why', async () => {
    const { model: base } = await writeSyntheticModel(tinyBertConfig({ architectures: ['BertModel'] }));
    const support = classificationHead.supports(base.config);
    expect(support.supported).toBe(false);
    if (!support.supported) expect(support.reason).toMatch(/BertModel/);
    await expect(classificationHead.create(base)).rejects.toBeInstanceOf(InvalidArgumentError);
    const { model: tok } = await writeSyntheticModel(
      tinyBertConfig({ architectures: ['BertForTokenClassification'] }),
    );
    expect(classificationHead.supports(tok.config).supported).toBe(false);
  });

  it('rejects an encoder output of the wrong width', async () => {
    const head = await createClassificationHead(model);
    const { output, context } = batch(1, 2, 1);
    expect(() => head.decode({ ...output, hiddenSize: 4 }, context)).toThrow(InvalidArgumentError);
  });
});
