import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectModelError } from '../../test/helpers/expect-model-error';
import { buildSafetensors, f32Bytes } from '../../test/helpers/safetensors-writer';
import { makeTempDir, writeIn } from '../../test/helpers/temp-dir';
import { albertBase, bertBase, linearHead, TINY } from '../../test/support/hf-checkpoints';
import { memoryTensorStore } from '../../test/support/memory-tensor-store';
import {
  ModelConfigError,
  ModelFileNotFoundError,
  VocabError,
  WeightMismatchError,
} from '../errors/model-errors';
import { parseModelConfig } from './config';
import { computeFingerprint } from './fingerprint';
import { loadModel } from './load-model';
import { mapWeights } from './map-weights';

const CONFIG = {
  model_type: 'bert',
  architectures: ['BertForSequenceClassification'],
  vocab_size: TINY.V,
  hidden_size: TINY.H,
  num_attention_heads: 2,
  num_hidden_layers: TINY.L,
  intermediate_size: TINY.I,
  max_position_embeddings: TINY.P,
  type_vocab_size: TINY.T,
  id2label: { '0': 'a', '1': 'b', '2': 'c' },
};

function checkpoint(change?: (name: string, values: number[]) => void): Uint8Array {
  const shapes = { ...bertBase('bert.', TINY, true), ...linearHead('classifier', TINY) };
  const tensors: Record<string, { dtype: string; shape: number[]; data: Uint8Array }> = {};
  let k = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => ((k++ % 97) - 48) / 64);
    change?.(name, values);
    tensors[name] = { dtype: 'F32', shape, data: f32Bytes(values) };
  }
  return buildSafetensors(tensors);
}

async function modelDir(files: Record<string, string | Uint8Array | object>): Promise<string> {
  const dir = await makeTempDir('samp-load-');
  for (const [name, content] of Object.entries(files)) {
    const bytes =
      typeof content === 'string' || content instanceof Uint8Array ? content : JSON.stringify(content);
    await writeIn(dir, name, bytes);
  }
  return dir;
}

describe('loadModel', () => {
  it('loads config, weights and tokenizer, and fingerprints the model', async () => {
    const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a'];
    const dir = await modelDir({
      'config.json': CONFIG,
      'model.safetensors': checkpoint(),
      'vocab.txt': `${vocab.join('\n')}\n`,
    });
    const m = await loadModel(dir);
    expect(m.dir).toBe(dir);
    expect(m.config.numLabels).toBe(3);
    expect(m.weights.tensors.size).toBe(5 + 16 * TINY.L + 4);
    expect(m.weights.tensors.get('classifier.weight')?.file).toBe(join(dir, 'model.safetensors'));
    expect(m.tokenizer?.vocab).toEqual(vocab);
    expect(m.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    const bias = await m.weights.readFloat32('embeddings.norm.bias');
    expect(bias).toHaveLength(TINY.H);

    const again = await loadModel(dir, { tokenizer: false });
    expect(again.tokenizer).toBeUndefined();
    expect(again.fingerprint).toBe(m.fingerprint);
  });

  it('the fingerprint follows weight contents and config, not label names', async () => {
    const base = await loadModel(
      await modelDir({ 'config.json': CONFIG, 'model.safetensors': checkpoint() }),
    );
    const changed = checkpoint((name, values) => {
      if (name === 'bert.encoder.layer.1.output.dense.bias') values[3] = (values[3] ?? 0) + 1 / 1024;
    });
    const otherWeights = await loadModel(
      await modelDir({ 'config.json': CONFIG, 'model.safetensors': changed }),
    );
    expect(otherWeights.fingerprint).not.toBe(base.fingerprint);
    const otherEps = await loadModel(
      await modelDir({
        'config.json': { ...CONFIG, layer_norm_eps: 1e-5 },
        'model.safetensors': checkpoint(),
      }),
    );
    expect(otherEps.fingerprint).not.toBe(base.fingerprint);
    const relabelled = await loadModel(
      await modelDir({
        'config.json': { ...CONFIG, id2label: { '0': 'x', '1': 'y', '2': 'z' } },
        'model.safetensors': checkpoint(),
      }),
    );
    expect(relabelled.fingerprint).toBe(base.fingerprint);
  });

  it('a folder without tokenizer files has tokenizer undefined; a BPE one fails only when asked', async () => {
    const plain = await loadModel(
      await modelDir({ 'config.json': CONFIG, 'model.safetensors': checkpoint() }),
    );
    expect(plain.tokenizer).toBeUndefined();
    const bpe = await modelDir({
      'config.json': CONFIG,
      'model.safetensors': checkpoint(),
      'vocab.json': { a: 0 },
      'merges.txt': '',
    });
    await expectModelError(loadModel(bpe), VocabError, 'SAMP_MODEL_VOCAB', ['only WordPiece']);
    expect((await loadModel(bpe, { tokenizer: false })).tokenizer).toBeUndefined();
  });

  it('refuses a tokenizer with more tokens than vocab_size', async () => {
    const tokens = ['[UNK]', '[CLS]', '[SEP]', ...Array.from({ length: TINY.V }, (_, i) => `t${i}`)];
    const dir = await modelDir({
      'config.json': CONFIG,
      'model.safetensors': checkpoint(),
      'vocab.txt': tokens.join('\n'),
    });
    await expectModelError(loadModel(dir), VocabError, 'SAMP_MODEL_VOCAB', [
      join(dir, 'vocab.txt'),
      `vocab_size ${TINY.V}`,
    ]);
  });

  it('a missing folder, or a file, is ModelFileNotFoundError', async () => {
    const dir = await modelDir({ 'config.json': CONFIG });
    await expectModelError(
      loadModel(join(dir, 'nope')),
      ModelFileNotFoundError,
      'SAMP_MODEL_FILE_NOT_FOUND',
      [join(dir, 'nope')],
    );
    await expectModelError(
      loadModel(join(dir, 'config.json')),
      ModelFileNotFoundError,
      'SAMP_MODEL_FILE_NOT_FOUND',
      [join(dir, 'config.json'), 'not a folder'],
    );
  });

  it('reports the config error before the weights error', async () => {
    const dir = await modelDir({ 'config.json': '{"model_type": ' });
    await expectModelError(loadModel(dir), ModelConfigError, 'SAMP_MODEL_CONFIG', [join(dir, 'config.json')]);
    const noWeights = await modelDir({ 'config.json': CONFIG });
    await expectModelError(loadModel(noWeights), ModelFileNotFoundError, 'SAMP_MODEL_FILE_NOT_FOUND', [
      'model.safetensors',
    ]);
  });

  it('weights that do not fit the config name the checkpoint file', async () => {
    const dir = await modelDir({
      'config.json': { ...CONFIG, num_hidden_layers: 3 },
      'model.safetensors': checkpoint(),
    });
    const e = await expectModelError(loadModel(dir), WeightMismatchError, 'SAMP_MODEL_WEIGHT_MISMATCH', [
      join(dir, 'model.safetensors'),
      'bert.encoder.layer.2.attention.self.query.weight',
    ]);
    expect(e.missing).toHaveLength(16);
  });
});

describe('computeFingerprint', () => {
  it('reads each stored tensor once, even when ALBERT layers share it', async () => {
    const s = { ...TINY, L: 4 };
    const shapes = albertBase('', s, true);
    const config = parseModelConfig(
      {
        model_type: 'albert',
        vocab_size: s.V,
        hidden_size: s.H,
        num_attention_heads: 2,
        num_hidden_layers: s.L,
        intermediate_size: s.I,
        embedding_size: s.E,
        max_position_embeddings: s.P,
      },
      'config.json',
    );
    const store = memoryTensorStore(shapes);
    const weights = mapWeights(config, store, 'memory');
    const fingerprint = await computeFingerprint(config, weights);
    expect([...store.reads].sort()).toEqual(Object.keys(shapes).sort());
    expect(await computeFingerprint(config, mapWeights(config, memoryTensorStore(shapes), 'memory'))).toBe(
      fingerprint,
    );
    // The dtype is part of the fingerprint.
    const f16 = Object.fromEntries(
      Object.entries(shapes).map(([n, shape]) => [n, { shape, dtype: 'F16' as const }]),
    );
    expect(await computeFingerprint(config, mapWeights(config, memoryTensorStore(f16), 'memory'))).not.toBe(
      fingerprint,
    );
  });
});
