import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeArchitecture, loadModel, type ModelArtifacts, parseModelConfig } from '@samp/core';
import { afterAll } from 'vitest';
import { buildSafetensors, f32Bytes } from '../../../core/test/helpers/safetensors-writer';

/** Reproducible pseudo-random values in [-1, 1) (xorshift32). */
export function pseudoRandom(count: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out.push((s >>> 0) / 2 ** 31 - 1);
  }
  return out;
}

/** A tiny BERT config; `extra` overrides or adds fields (architectures, problem_type, id2label…). */
export function tinyBertConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'bert',
    architectures: ['BertForSequenceClassification'],
    vocab_size: 16,
    hidden_size: 8,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 16,
    hidden_act: 'gelu',
    max_position_embeddings: 16,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    ...extra,
  };
}

/**
 * Writes a model folder (config.json and model.safetensors with every tensor the architecture needs,
 * filled with reproducible values) to a temp folder removed after the test file, and loads it with
 * `@samp/core`'s `loadModel`. Returns the model and the values written, by canonical name.
 */
export async function writeSyntheticModel(
  rawConfig: Record<string, unknown>,
  seed = 7,
): Promise<{ model: ModelArtifacts; values: Map<string, number[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'samp-head-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const config = parseModelConfig(rawConfig, join(dir, 'config.json'));
  const description = describeArchitecture(config);
  const tensors: Record<string, { dtype: string; shape: number[]; data: Uint8Array }> = {};
  const values = new Map<string, number[]>();
  let k = seed;
  for (const t of description.tensors) {
    if (!t.required && !t.name.startsWith('pooler')) continue;
    const count = t.shape.reduce((a, b) => a * b, 1);
    const v = pseudoRandom(count, k++ * 7919);
    values.set(t.name, v);
    const stored =
      t.inBaseModel && description.head !== 'base' ? `${description.basePrefix}.${t.stored}` : t.stored;
    tensors[stored] = { dtype: 'F32', shape: [...t.shape], data: f32Bytes(v) };
  }
  await writeFile(join(dir, 'config.json'), JSON.stringify(rawConfig));
  await writeFile(join(dir, 'model.safetensors'), buildSafetensors(tensors));
  return { model: await loadModel(dir, { tokenizer: false }), values };
}
