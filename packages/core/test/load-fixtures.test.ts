import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/model';

/**
 * Loads every tiny Hugging Face model saved by transformers under fixtures/models/ and checks it
 * against manifest.json. A missing manifest fails the file: these tests never skip.
 */

interface ManifestModel {
  name: string;
  modelType: string;
  architecture: string;
  weightsFormat: 'safetensors' | 'sharded' | 'pytorch_bin' | 'fp16';
  hiddenSize: number;
  numHiddenLayers: number;
  vocabSize: number;
  numLabels: number | null;
  hasTokenizer: boolean;
  storedTensors: string[];
}

const ROOT = join(__dirname, '..', 'fixtures', 'models');
const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8')) as { models: ManifestModel[] };

/** Canonical tensors a fixture must map to, counted from its architecture (not from samp's tables). */
function expectedCanonicalCount(m: ManifestModel, typeVocab: boolean, projection: boolean): number {
  const embeddings = 4 + (typeVocab ? 1 : 0) + (projection ? 2 : 0);
  const layers = 16 * m.numHiddenLayers;
  const pooler = m.storedTensors.some(
    (n) => /(^|\.)pooler\./.test(n) || /(^|\.)pooler$/.test(n.replace(/\.(weight|bias)$/, '')),
  )
    ? 2
    : 0;
  let head = 0;
  if (m.architecture.endsWith('ForSequenceClassification')) {
    head = ['roberta', 'xlm-roberta', 'electra', 'distilbert'].includes(m.modelType) ? 4 : 2;
  } else if (
    m.architecture.endsWith('ForTokenClassification') ||
    m.architecture.endsWith('ForQuestionAnswering')
  ) {
    head = 2;
  }
  return embeddings + layers + pooler + head;
}

describe('fixture models', () => {
  it('the manifest lists every fixture folder', () => {
    const folders = readdirSync(ROOT, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(manifest.models.map((m) => m.name).sort()).toEqual(folders);
    expect(manifest.models.length).toBeGreaterThanOrEqual(9);
  });

  for (const m of manifest.models) {
    it(`loads ${m.name} (${m.architecture}, ${m.weightsFormat})`, async () => {
      const dir = join(ROOT, m.name);
      const model = await loadModel(dir);
      const c = model.config;
      expect(c.modelType).toBe(m.modelType);
      // A config saved without `architectures` (bert-gelu-new's) loads as the bare encoder.
      if (c.architectures.length === 0) expect(m.architecture).toMatch(/Model$/);
      else expect(c.architectures[0]).toBe(m.architecture);
      expect(c.hiddenSize).toBe(m.hiddenSize);
      expect(c.numHiddenLayers).toBe(m.numHiddenLayers);
      expect(c.vocabSize).toBe(m.vocabSize);
      if (m.numLabels !== null) expect(c.numLabels).toBe(m.numLabels);
      expect(c.hiddenSize % c.numAttentionHeads).toBe(0);
      expect(c.positionOffset).toBe(m.modelType.includes('roberta') ? c.padTokenId + 1 : 0);
      expect(c.typeVocabSize > 0).toBe(m.modelType !== 'distilbert');
      if (m.name.includes('gelu-new') || m.modelType === 'albert') expect(c.hiddenAct).toBe('gelu_new');

      // Every stored tensor is either mapped or deliberately ignored, and nothing else exists.
      const used = new Set([...model.weights.tensors.values()].map((t) => t.name));
      expect([...used, ...model.weights.ignored].sort()).toEqual([...m.storedTensors].sort());
      const projection = model.weights.tensors.has('embeddings.projection.weight');
      expect(projection).toBe(
        m.modelType === 'albert' || (m.modelType === 'electra' && c.embeddingSize !== c.hiddenSize),
      );
      expect(model.weights.tensors.size).toBe(expectedCanonicalCount(m, c.typeVocabSize > 0, projection));
      if (m.modelType === 'albert') expect(used.size).toBeLessThan(model.weights.tensors.size);

      const files = model.weights.store.files.map((f) => basename(f));
      if (m.weightsFormat === 'sharded') {
        expect(files.length).toBeGreaterThan(1);
        for (const f of files) expect(f).toMatch(/^model-\d{5}-of-\d{5}\.safetensors$/);
      } else if (m.weightsFormat === 'pytorch_bin') {
        expect(files).toEqual(['pytorch_model.bin']);
      } else {
        expect(files).toEqual(['model.safetensors']);
      }
      const dtypes = new Set([...model.weights.tensors.values()].map((t) => t.dtype));
      expect([...dtypes]).toEqual([m.weightsFormat === 'fp16' ? 'F16' : 'F32']);

      for (const [name, info] of model.weights.tensors) {
        const values = await model.weights.readFloat32(name);
        expect(values.length).toBe(info.shape.reduce((a, b) => a * b, 1));
        expect(values.every(Number.isFinite)).toBe(true);
      }

      expect(model.tokenizer !== undefined).toBe(m.hasTokenizer);
      if (model.tokenizer !== undefined) {
        expect(model.tokenizer.vocab.length).toBeLessThanOrEqual(c.vocabSize);
        for (const token of [model.tokenizer.specialTokens.unk, model.tokenizer.specialTokens.cls]) {
          expect(model.tokenizer.vocab).toContain(token);
        }
      }
      expect(model.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    });
  }

  it('fingerprints differ between fixture models', async () => {
    const prints = await Promise.all(
      manifest.models.map(async (m) => (await loadModel(join(ROOT, m.name))).fingerprint),
    );
    expect(new Set(prints).size).toBe(prints.length);
  });
});
