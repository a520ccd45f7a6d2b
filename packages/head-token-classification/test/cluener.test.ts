import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fromModelDir } from '@samp/tokenizer';
import { describe, expect, it } from 'vitest';
import { decodeTags, entityScores } from '../src';

// The trained CLUENER model: transformers' own argmax tags for every dev row, decoded here into entities
// of the text and scored against the gold entities; training.json has the F1 transformers got.
const dir = resolve(import.meta.dirname, '../../../models/cluener-zh-small');
const MAX_LENGTH = 64; // scripts/train/train_models.py: max_len for token tasks

interface DevRow {
  text: string;
  entities: { type: string; start: number; end: number; text: string }[];
  input_ids: number[];
  predicted_tags: number[];
}

describe('CLUENER (models/cluener-zh-small): entity F1 of the golden predictions', async () => {
  const rows = gunzipSync(readFileSync(resolve(dir, 'dev.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as DevRow);
  const config = JSON.parse(readFileSync(resolve(dir, 'config.json'), 'utf8')) as {
    id2label: Record<string, string>;
  };
  const training = JSON.parse(readFileSync(resolve(dir, 'training.json'), 'utf8')) as {
    dev_metric_fp16_weights_fp32_compute: { entity_f1: number };
  };
  const target = training.dev_metric_fp16_weights_fp32_compute.entity_f1;
  const tokenizer = await fromModelDir(dir);
  const encoded = rows.map((r) => tokenizer.encode(r.text, undefined, { maxLength: MAX_LENGTH }));

  it('the tokenizer reproduces the golden input ids (offsets are then the reference ones)', () => {
    expect(rows.length).toBeGreaterThan(1000);
    const mismatched = rows.filter((r, i) => Array.from(encoded[i]?.ids ?? []).join() !== r.input_ids.join());
    expect(mismatched.map((r) => r.text).slice(0, 3)).toEqual([]);
  });

  const decodeAll = (aggregation: 'first' | 'none') =>
    rows.map((r, i) => {
      const tags = r.predicted_tags.map((id) => config.id2label[String(id)] as string);
      const entities = decodeTags(tags, encoded[i]?.offsets as Int32Array, { text: r.text, aggregation });
      for (const e of entities) expect(r.text.slice(e.start, e.end)).toBe(e.text);
      return entities;
    });
  const gold = rows.map((r) => r.entities);

  it('per-piece tags (how the training script scored them): F1 equals training.json (within 1e-12)', () => {
    const s = entityScores(gold, decodeAll('none'));
    expect(Math.abs(s.f1 - target)).toBeLessThanOrEqual(1e-12);
  });

  it("word-piece aggregation (the head's default) changes only rows with multi-piece words", () => {
    // Merging pieces can only matter where a word has ## pieces (ASCII words and numbers in these
    // texts); everywhere else the two decodings must agree entity for entity.
    const first = decodeAll('first');
    const none = decodeAll('none');
    const key = (es: { type: string; start: number; end: number }[]) =>
      es.map((e) => `${e.type}:${e.start}:${e.end}`).join(' ');
    let changed = 0;
    rows.forEach((_, i) => {
      const pieces = tokenizer.convertIdsToTokens(encoded[i]?.ids ?? []);
      const multiPiece = pieces.some((p) => p.startsWith('##'));
      if (!multiPiece) expect(key(first[i] ?? [])).toBe(key(none[i] ?? []));
      else if (key(first[i] ?? []) !== key(none[i] ?? [])) changed++;
    });
    expect(changed).toBeGreaterThan(0);
    // Measured: F1 0.5486 with aggregation vs 0.5456 per piece (whole words instead of fragments).
    const s = entityScores(gold, first);
    expect(Math.abs(s.f1 - target)).toBeLessThanOrEqual(0.005);
  });
});
