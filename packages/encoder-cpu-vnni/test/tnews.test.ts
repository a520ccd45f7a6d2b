// The trained TNEWS model (4 layers, hidden 256, fp16 weights): 32 dev texts' input_ids (dev.jsonl.gz) through the cpu
// backend, then the classification head computed here (pooler dense + tanh on [CLS], then the
// classifier), against the Hugging Face logits stored with each dev line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type EncoderInput, loadModel, type ModelArtifacts } from '@samp/core';
import { relativeError } from '@samp/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../src/index';

const MODEL_DIR = join(__dirname, '../../model-tnews-zh-small/model');
const COUNT = 32;

interface DevLine {
  input_ids: number[];
  logits: number[];
}

/** BertForSequenceClassification's head: classifier(tanh(pooler.dense(h[CLS]))), in float64. */
async function sequenceLogits(model: ModelArtifacts, hidden: Float32Array, row: number, seq: number) {
  const h = model.config.hiddenSize;
  const [pw, pb, cw, cb] = await Promise.all(
    ['pooler.dense.weight', 'pooler.dense.bias', 'classifier.weight', 'classifier.bias'].map((n) =>
      model.weights.readFloat32(n),
    ),
  );
  const cls = hidden.subarray(row * seq * h, row * seq * h + h);
  const pooled = new Float64Array(h);
  for (let o = 0; o < h; o++) {
    let s = pb?.[o] as number;
    for (let j = 0; j < h; j++) s += (pw?.[o * h + j] as number) * (cls[j] as number);
    pooled[o] = Math.tanh(s);
  }
  const labels = model.config.numLabels;
  return Array.from({ length: labels }, (_, o) => {
    let s = cb?.[o] as number;
    for (let j = 0; j < h; j++) s += (cw?.[o * h + j] as number) * (pooled[j] as number);
    return s;
  });
}

describe('TNEWS (trained, 4 layers, hidden 256)', () => {
  let model: ModelArtifacts;
  let lines: DevLine[];
  beforeAll(async () => {
    model = await loadModel(MODEL_DIR, { tokenizer: false });
    lines = gunzipSync(readFileSync(join(MODEL_DIR, 'dev.jsonl.gz')))
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(0, COUNT)
      .map((l) => JSON.parse(l) as DevLine);
  });

  it(`reproduces the Hugging Face logits of ${COUNT} dev texts within 1e-4 (one padded batch)`, async () => {
    expect(lines.length).toBe(COUNT);
    const seq = Math.max(...lines.map((l) => l.input_ids.length));
    const input: EncoderInput = {
      inputIds: new Int32Array(COUNT * seq).fill(model.config.padTokenId),
      attentionMask: new Int32Array(COUNT * seq),
      tokenTypeIds: new Int32Array(COUNT * seq),
      batchSize: COUNT,
      sequenceLength: seq,
    };
    lines.forEach((l, row) => {
      input.inputIds.set(l.input_ids, row * seq);
      input.attentionMask.fill(1, row * seq, row * seq + l.input_ids.length);
    });
    for (const padPositions of ['compute', 'skip'] as const) {
      await using session = await createCpuBackend({ threads: 2, padPositions }).createSession(model);
      const out = await session.run(input);
      for (let row = 0; row < COUNT; row++) {
        const logits = await sequenceLogits(model, out.lastHiddenState, row, seq);
        const expected = lines[row]?.logits ?? [];
        expect(logits.length).toBe(expected.length);
        // The golden logits are printed with 6 decimals; the error allowed is 1e-4 of their scale.
        expect(relativeError(logits, expected), `${padPositions} row ${row}`).toBeLessThanOrEqual(1e-4);
      }
    }
  });
});
