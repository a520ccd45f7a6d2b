import { InvalidArgumentError, loadModel } from '@samp/core';
import { listFixtureModels, readFixtureExpected, readFixtureInputs, relativeError } from '@samp/core/testing';
import { describe, expect, it } from 'vitest';
import {
  type BiEncoderResult,
  type CrossEncoderResult,
  createTextMatchingHead,
  textMatchingHead,
} from '../src';

function golden(name: string) {
  const fixture = listFixtureModels().find((f) => f.name === name);
  if (fixture === undefined) throw new Error(`fixture ${name} is missing`);
  const expected = readFixtureExpected(fixture);
  const hidden = expected?.get('last_hidden_state');
  if (expected === undefined || hidden === undefined) throw new Error(`${name}: no last_hidden_state`);
  const [batchSize, sequenceLength, hiddenSize] = hidden.shape as [number, number, number];
  return {
    fixture,
    expected,
    output: { lastHiddenState: hidden.data, batchSize, sequenceLength, hiddenSize },
    attentionMask: readFixtureInputs(fixture).attentionMask,
  };
}

/** Reference pooling written out plainly: mean over mask-1 tokens or token 0, then optional L2 norm. */
function referenceEmbedding(
  g: ReturnType<typeof golden>,
  row: number,
  pooling: 'mean' | 'cls',
  normalize: boolean,
) {
  const { sequenceLength: S, hiddenSize: H, lastHiddenState: h } = g.output;
  const e = new Array<number>(H).fill(0);
  const tokens =
    pooling === 'cls' ? [0] : [...Array(S).keys()].filter((t) => g.attentionMask[row * S + t] === 1);
  for (const t of tokens)
    for (let j = 0; j < H; j++) e[j] = (e[j] ?? 0) + (h[(row * S + t) * H + j] ?? 0) / tokens.length;
  const n = Math.hypot(...e);
  return normalize ? e.map((v) => v / n) : e;
}

const cos = (a: number[], b: number[]) =>
  a.reduce((s, v, i) => s + v * (b[i] ?? 0), 0) / (Math.hypot(...a) * Math.hypot(...b));

describe('cross-encoder (sentence-pair classification through @samp/head-classification)', () => {
  it('bert-seq-cls pair inputs: logits within 1e-5 of transformers', async () => {
    const g = golden('bert-seq-cls');
    const model = await loadModel(g.fixture.dir, { tokenizer: false });
    const head = await createTextMatchingHead(model);
    expect(head.mode).toBe('cross-encoder');
    const results = head.decode(g.output, { attentionMask: g.attentionMask }) as CrossEncoderResult[];
    const logits = g.expected.get('logits')?.data ?? new Float32Array();
    expect(
      relativeError(
        results.flatMap((r) => r.logits),
        logits,
      ),
    ).toBeLessThanOrEqual(1e-5);
    for (const r of results) expect(r.label).toBe(model.config.id2label[r.labelId]);
    expect(() => head.embed(g.output, { attentionMask: g.attentionMask })).toThrow(InvalidArgumentError);
  });
});

describe('bi-encoder (pooled embeddings, cosine similarity)', async () => {
  const g = golden('bert');
  const model = await loadModel(g.fixture.dir, { tokenizer: false });
  // Two pairs: rows (0, 1) and (2, 0) of the fixture.
  const { sequenceLength: S, hiddenSize: H } = g.output;
  const pick = (rows: number[]) => {
    const lastHiddenState = new Float32Array(rows.length * S * H);
    const attentionMask = new Int32Array(rows.length * S);
    rows.forEach((r, i) => {
      lastHiddenState.set(g.output.lastHiddenState.subarray(r * S * H, (r + 1) * S * H), i * S * H);
      attentionMask.set(g.attentionMask.subarray(r * S, (r + 1) * S), i * S);
    });
    return { output: { ...g.output, lastHiddenState, batchSize: rows.length }, context: { attentionMask } };
  };

  for (const pooling of ['mean', 'cls'] as const) {
    it(`${pooling} pooling: cosine of each pair, one result per row`, async () => {
      const head = await createTextMatchingHead(model, { pooling });
      expect(head.mode).toBe('bi-encoder');
      const { output, context } = pick([0, 1, 2, 0]);
      const results = head.decode(output, context) as BiEncoderResult[];
      expect(results).toHaveLength(4);
      const ref01 = cos(referenceEmbedding(g, 0, pooling, false), referenceEmbedding(g, 1, pooling, false));
      const ref20 = cos(referenceEmbedding(g, 2, pooling, false), referenceEmbedding(g, 0, pooling, false));
      expect(results[0]?.score).toBeCloseTo(ref01, 12);
      expect(results[1]?.score).toBe(results[0]?.score);
      expect(results[2]?.score).toBeCloseTo(ref20, 12);
      expect(Object.keys(results[0] ?? {})).toEqual(['score']);
    });
  }

  it('embeddings: normalised by default, raw with normalize false; padding never counts', async () => {
    const { output, context } = pick([0, 1, 2, 0]);
    const unit = (await createTextMatchingHead(model)).embed(output, context);
    const raw = (await createTextMatchingHead(model, { normalize: false })).embed(output, context);
    [0, 1, 2, 0].forEach((fixtureRow, i) => {
      const refRaw = referenceEmbedding(g, fixtureRow, 'mean', false);
      const refUnit = referenceEmbedding(g, fixtureRow, 'mean', true);
      raw[i]?.forEach((v, j) => {
        expect(v).toBeCloseTo(refRaw[j] ?? Number.NaN, 12);
      });
      unit[i]?.forEach((v, j) => {
        expect(v).toBeCloseTo(refUnit[j] ?? Number.NaN, 12);
      });
    });
    // Row 2 of the fixture is padded: garbage there must not change its embedding.
    const dirty = pick([2, 0]);
    expect(Array.from(dirty.context.attentionMask.subarray(0, S))).toContain(0);
    for (let t = 0; t < S; t++)
      if (dirty.context.attentionMask[t] === 0) dirty.output.lastHiddenState.fill(1e3, t * H, (t + 1) * H);
    const clean = pick([2, 0]);
    const head = await createTextMatchingHead(model);
    expect(head.decode(dirty.output, dirty.context)).toEqual(head.decode(clean.output, clean.context));
  });

  it('identical texts score 1; dot similarity of normalised embeddings equals cosine', async () => {
    const { output, context } = pick([1, 1, 0, 2]);
    const cosine = (await createTextMatchingHead(model)).decode(output, context) as BiEncoderResult[];
    expect(cosine[0]?.score).toBeCloseTo(1, 14);
    const dotted = (await createTextMatchingHead(model, { similarity: 'dot' })).decode(
      output,
      context,
    ) as BiEncoderResult[];
    expect(dotted[2]?.score).toBeCloseTo(cosine[2]?.score ?? Number.NaN, 14);
  });

  it('rejects an odd batch, bad options, and a token-classification checkpoint in auto mode', async () => {
    const head = await createTextMatchingHead(model);
    const { output, context } = pick([0, 1, 2]);
    expect(() => head.decode(output, context)).toThrow(InvalidArgumentError);
    await expect(createTextMatchingHead(model, { pooling: 'max' as never })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(createTextMatchingHead(model, { mode: 'cross-encoder' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    const tokenFixture = listFixtureModels().find((f) => f.name === 'bert-token-cls');
    const tokenModel = await loadModel(tokenFixture?.dir ?? '', { tokenizer: false });
    const support = textMatchingHead.supports(tokenModel.config);
    expect(support.supported).toBe(false);
    await expect(createTextMatchingHead(tokenModel)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await createTextMatchingHead(tokenModel, { mode: 'bi-encoder' })).mode).toBe('bi-encoder');
  });
});
