import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const repo = join(import.meta.dirname, '../../..');

/** Hugging Face's logits and the gold label ids of a trained model's dev split (its `dev.jsonl.gz`). */
export function devLogits(model: 'sst2-en-small' | 'afqmc-zh-small'): {
  logits: number[][];
  labels: number[];
} {
  const dir = join(repo, 'models', model);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
    id2label: Record<string, string>;
  };
  const ids = Object.fromEntries(Object.entries(config.id2label).map(([id, name]) => [name, Number(id)]));
  const lines = gunzipSync(readFileSync(join(dir, 'dev.jsonl.gz')))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { label: string; logits: number[] });
  return { logits: lines.map((l) => l.logits), labels: lines.map((l) => ids[l.label] as number) };
}

/** The dev accuracy `training.json` records for a trained model. */
export function recordedAccuracy(model: 'sst2-en-small' | 'afqmc-zh-small'): number {
  const training = JSON.parse(readFileSync(join(repo, 'models', model, 'training.json'), 'utf8')) as {
    dev_metric_fp16_weights_fp32_compute: { accuracy: number };
  };
  return training.dev_metric_fp16_weights_fp32_compute.accuracy;
}
