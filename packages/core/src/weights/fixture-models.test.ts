import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openWeights } from './open-weights';

// The tiny models saved by transformers (scripts/golden); this test fails, rather than skips, if they are absent.
const modelsDir = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/models');

interface ManifestModel {
  name: string;
  weightsFormat: 'safetensors' | 'sharded' | 'fp16' | 'pytorch_bin';
  storedTensors: string[];
}
const manifest = JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8')) as {
  models: ManifestModel[];
};

const expectedFile: Record<ManifestModel['weightsFormat'], RegExp> = {
  safetensors: /^model\.safetensors$/,
  fp16: /^model\.safetensors$/,
  sharded: /^model-\d{5}-of-\d{5}\.safetensors$/,
  pytorch_bin: /^pytorch_model\.bin$/,
};

describe('openWeights on the real transformers fixtures', () => {
  it('covers every weights format', () => {
    expect(new Set(manifest.models.map((m) => m.weightsFormat))).toEqual(
      new Set(['safetensors', 'sharded', 'fp16', 'pytorch_bin']),
    );
  });

  for (const model of manifest.models) {
    it(`opens ${model.name} (${model.weightsFormat}) and reads every tensor`, async () => {
      const store = await openWeights(join(modelsDir, model.name));
      expect([...store.tensors.keys()].sort()).toEqual([...model.storedTensors].sort());
      for (const file of store.files) expect(basename(file)).toMatch(expectedFile[model.weightsFormat]);
      if (model.weightsFormat === 'sharded') expect(store.files.length).toBeGreaterThan(1);
      for (const [name, info] of store.tensors) {
        expect(info.dtype).toBe(model.weightsFormat === 'fp16' ? 'F16' : 'F32');
        const values = await store.readFloat32(name);
        expect(values.length).toBe(info.shape.reduce((a, b) => a * b, 1));
        for (const v of values) if (!Number.isFinite(v)) expect.fail(`${model.name}/${name} holds ${v}`);
      }
      // A LayerNorm weight of a freshly initialised or lightly trained model sits near 1.
      const norm = [...store.tensors.keys()].find((n) => /LayerNorm\.weight$|layer_norm\.weight$/.test(n));
      expect(norm).toBeDefined();
      const gamma = await store.readFloat32(norm as string);
      const mean = gamma.reduce((a, b) => a + b, 0) / gamma.length;
      expect(mean).toBeGreaterThan(0.5);
      expect(mean).toBeLessThan(1.5);
    });
  }
});
