import { loadModel } from '@samp/core';
import { listFixtureModels, readFixtureExpected, readFixtureInputs, relativeError } from '@samp/core/testing';
import { describe, expect, it } from 'vitest';
import { createTokenClassificationHead, decodeTags } from '../src';

describe('bert-token-cls against transformers (float64 reference)', async () => {
  const fixture = listFixtureModels().find((f) => f.name === 'bert-token-cls');
  if (fixture === undefined) throw new Error('fixture bert-token-cls is missing');
  const expected = readFixtureExpected(fixture);
  const hidden = expected?.get('last_hidden_state');
  const logits = expected?.get('logits');
  if (hidden === undefined || logits === undefined)
    throw new Error('bert-token-cls: expected tensors missing');
  const [batchSize, sequenceLength, hiddenSize] = hidden.shape as [number, number, number];
  const output = { lastHiddenState: hidden.data, batchSize, sequenceLength, hiddenSize };
  const { attentionMask } = readFixtureInputs(fixture);
  const model = await loadModel(fixture.dir, { tokenizer: false });
  const L = model.config.numLabels;

  it('logits of every token within 1e-5 relative', async () => {
    const head = await createTokenClassificationHead(model);
    expect(logits.shape).toEqual([batchSize, sequenceLength, L]);
    expect(relativeError(head.logits(output), logits.data)).toBeLessThanOrEqual(1e-5);
  });

  it('decode() gives the entities of the reference logits', async () => {
    // Synthetic text: token t of a row is the character at 2t (tokens are separate words), [CLS]/[SEP] empty.
    const texts: string[] = [];
    const offsets: Int32Array[] = [];
    for (let b = 0; b < batchSize; b++) {
      let n = 0;
      while (n < sequenceLength && attentionMask[b * sequenceLength + n] === 1) n++;
      texts.push('abcdefghijklmnopqrstuvwxyz'.slice(0, 2 * n).replace(/(.)./g, '$1 '));
      const o = new Int32Array(2 * sequenceLength);
      for (let t = 1; t < n - 1; t++) o.set([2 * t, 2 * t + 1], 2 * t);
      offsets.push(o);
    }
    const head = await createTokenClassificationHead(model);
    const results = head.decode(output, { attentionMask, offsets, texts });
    let entities = 0;
    results.forEach((r, b) => {
      const tags: string[] = [];
      const probs: number[] = [];
      for (let t = 0; t < sequenceLength; t++) {
        const row = Array.from(
          logits.data.subarray((b * sequenceLength + t) * L, (b * sequenceLength + t + 1) * L),
        );
        const best = row.indexOf(Math.max(...row));
        tags.push(model.config.id2label[best] as string);
        const z = row.reduce((s, l) => s + Math.exp(l - (row[best] as number)), 0);
        probs.push(1 / z);
      }
      const reference = decodeTags(tags, offsets[b] as Int32Array, { text: texts[b], scores: probs });
      expect(r.entities.length).toBe(reference.length);
      r.entities.forEach((e, i) => {
        const ref = reference[i];
        expect([e.type, e.start, e.end, e.text]).toEqual([ref?.type, ref?.start, ref?.end, ref?.text]);
        expect(e.score).toBeCloseTo(ref?.score ?? Number.NaN, 5);
      });
      entities += r.entities.length;
    });
    expect(entities).toBeGreaterThan(0);
  });
});
