import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectModelError } from '../../test/helpers/expect-model-error';
import { buildTorchCheckpoint } from '../../test/helpers/pickle-writer';
import { buildSafetensors, f32Bytes } from '../../test/helpers/safetensors-writer';
import { makeTempDir, writeIn } from '../../test/helpers/temp-dir';
import { ModelFileNotFoundError } from '../errors/model-errors';
import { openWeights } from './open-weights';

let root: string;
beforeAll(async () => {
  root = await makeTempDir();
});

const single = (value: number) =>
  buildSafetensors({ w: { dtype: 'F32', shape: [1], data: f32Bytes([value]) } });
const index = JSON.stringify({ metadata: {}, weight_map: { w: 'model-00001-of-00001.safetensors' } });
const bin = buildTorchCheckpoint({
  tensors: [{ name: 'w', storageType: 'FloatStorage', key: '0', storageNumel: 1, size: [1] }],
  storages: { '0': f32Bytes([3]) },
});

async function folder(name: string, files: Record<string, Uint8Array | string>): Promise<string> {
  const dir = join(root, name);
  for (const [file, bytes] of Object.entries(files)) await writeIn(dir, file, bytes);
  return dir;
}

describe('openWeights', () => {
  it('prefers model.safetensors, then the sharded index, then pytorch_model.bin', async () => {
    const all = await folder('all', {
      'model.safetensors': single(1),
      'model.safetensors.index.json': index,
      'model-00001-of-00001.safetensors': single(2),
      'pytorch_model.bin': bin,
    });
    const a = await openWeights(all);
    expect(a.files).toEqual([join(all, 'model.safetensors')]);
    expect([...(await a.readFloat32('w'))]).toEqual([1]);

    const sharded = await folder('sharded', {
      'model.safetensors.index.json': index,
      'model-00001-of-00001.safetensors': single(2),
      'pytorch_model.bin': bin,
    });
    const b = await openWeights(sharded);
    expect(b.files).toEqual([join(sharded, 'model-00001-of-00001.safetensors')]);
    expect([...(await b.readFloat32('w'))]).toEqual([2]);

    const torch = await folder('torch', { 'pytorch_model.bin': bin });
    const c = await openWeights(torch);
    expect(c.files).toEqual([join(torch, 'pytorch_model.bin')]);
    expect([...(await c.readFloat32('w'))]).toEqual([3]);
  });

  it('refuses a folder without weights, listing what it looked for', async () => {
    const empty = await folder('empty', { 'config.json': '{}' });
    await expectModelError(openWeights(empty), ModelFileNotFoundError, 'SAMP_MODEL_FILE_NOT_FOUND', [
      empty,
      'model.safetensors, model.safetensors.index.json, pytorch_model.bin',
    ]);
    const shardedBin = await folder('sharded-bin', { 'pytorch_model.bin.index.json': '{}' });
    await expectModelError(openWeights(shardedBin), ModelFileNotFoundError, 'SAMP_MODEL_FILE_NOT_FOUND', [
      'pytorch_model.bin.index.json',
    ]);
    const missing = join(root, 'does-not-exist');
    await expectModelError(openWeights(missing), ModelFileNotFoundError, 'SAMP_MODEL_FILE_NOT_FOUND', [
      missing,
    ]);
  });
});
