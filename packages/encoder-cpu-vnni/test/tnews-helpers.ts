// The trained TNEWS model's dev split and classification head, shared by the TNEWS tests.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { EncoderInput, EncoderSession, ModelArtifacts } from '@samp/core';

// import.meta.url rather than __dirname: the GPU machine runs these helpers bundled as ES modules.
export const TNEWS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../model-tnews-zh-small/model');

export interface DevLine {
  label: string;
  input_ids: number[];
  logits: number[];
}

/** Every line of dev.jsonl.gz (4,928). */
export function readDev(): DevLine[] {
  return gunzipSync(readFileSync(join(TNEWS_DIR, 'dev.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as DevLine);
}

/** One right-padded batch of `lines`. */
export function batchOf(lines: readonly DevLine[], padTokenId: number): EncoderInput {
  const seq = Math.max(...lines.map((l) => l.input_ids.length));
  const input: EncoderInput = {
    inputIds: new Int32Array(lines.length * seq).fill(padTokenId),
    attentionMask: new Int32Array(lines.length * seq),
    tokenTypeIds: new Int32Array(lines.length * seq),
    batchSize: lines.length,
    sequenceLength: seq,
  };
  lines.forEach((l, row) => {
    input.inputIds.set(l.input_ids, row * seq);
    input.attentionMask.fill(1, row * seq, row * seq + l.input_ids.length);
  });
  return input;
}

/** BertForSequenceClassification's head (pooler dense + tanh on [CLS], classifier), in float64. */
export async function classificationHead(model: ModelArtifacts) {
  const [pw, pb, cw, cb] = await Promise.all(
    ['pooler.dense.weight', 'pooler.dense.bias', 'classifier.weight', 'classifier.bias'].map((n) =>
      model.weights.readFloat32(n),
    ),
  );
  const h = model.config.hiddenSize;
  const labels = model.config.numLabels;
  return (hidden: Float32Array, row: number, seq: number): number[] => {
    const cls = hidden.subarray(row * seq * h, row * seq * h + h);
    const pooled = new Float64Array(h);
    for (let o = 0; o < h; o++) {
      let s = pb?.[o] as number;
      for (let j = 0; j < h; j++) s += (pw?.[o * h + j] as number) * (cls[j] as number);
      pooled[o] = Math.tanh(s);
    }
    return Array.from({ length: labels }, (_, o) => {
      let s = cb?.[o] as number;
      for (let j = 0; j < h; j++) s += (cw?.[o * h + j] as number) * (pooled[j] as number);
      return s;
    });
  };
}

/** Accuracy (fraction of lines whose argmax logit is the gold label) of `session` on `lines`. */
export async function accuracy(
  model: ModelArtifacts,
  session: EncoderSession,
  lines: readonly DevLine[],
  batchSize = 64,
): Promise<number> {
  const head = await classificationHead(model);
  const labelId = new Map(Object.entries(model.config.id2label).map(([id, name]) => [name, Number(id)]));
  let correct = 0;
  for (let start = 0; start < lines.length; start += batchSize) {
    const chunk = lines.slice(start, start + batchSize);
    const input = batchOf(chunk, model.config.padTokenId);
    const out = await session.run(input);
    chunk.forEach((line, row) => {
      const logits = head(out.lastHiddenState, row, input.sequenceLength);
      const best = logits.indexOf(Math.max(...logits));
      if (best === labelId.get(line.label)) correct++;
    });
  }
  return correct / lines.length;
}
