import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectModelError } from '../../test/helpers/expect-model-error';
import { buildSafetensors, f32Bytes, u16Bytes } from '../../test/helpers/safetensors-writer';
import { makeTempDir, writeIn } from '../../test/helpers/temp-dir';
import { SafetensorsFormatError, ShardIndexError } from '../errors/model-errors';
import { openShardedSafetensors } from './sharded-safetensors';

let root: string;
beforeAll(async () => {
  root = await makeTempDir();
});

let counter = 0;
/** A model folder with two shards: a.w, a.b in shard 1; c.w (F16) in shard 2. */
async function model(weightMap?: Record<string, unknown>, extra?: (dir: string) => Promise<void>) {
  counter += 1;
  const dir = join(root, `m${counter}`);
  await writeIn(
    dir,
    'model-00001-of-00002.safetensors',
    buildSafetensors({
      'a.w': { dtype: 'F32', shape: [2], data: f32Bytes([1, 2]) },
      'a.b': { dtype: 'F32', shape: [1], data: f32Bytes([3]) },
    }),
  );
  await writeIn(
    dir,
    'model-00002-of-00002.safetensors',
    buildSafetensors({ 'c.w': { dtype: 'F16', shape: [1], data: u16Bytes([0x3c00]) } }),
  );
  await extra?.(dir);
  const index = await writeIn(
    dir,
    'model.safetensors.index.json',
    JSON.stringify({
      metadata: { total_size: 14 },
      weight_map: weightMap ?? {
        'c.w': 'model-00002-of-00002.safetensors',
        'a.w': 'model-00001-of-00002.safetensors',
        'a.b': 'model-00001-of-00002.safetensors',
      },
    }),
  );
  return { dir, index };
}

const CODE = 'SAMP_MODEL_SHARD_INDEX';

describe('openShardedSafetensors', () => {
  it('merges the shards in weight_map order and reads from each', async () => {
    const { dir, index } = await model();
    const store = await openShardedSafetensors(index);
    expect([...store.tensors.keys()]).toEqual(['c.w', 'a.w', 'a.b']);
    expect(store.files).toEqual([
      join(dir, 'model-00002-of-00002.safetensors'),
      join(dir, 'model-00001-of-00002.safetensors'),
    ]);
    expect(store.tensors.get('a.b')?.file).toBe(join(dir, 'model-00001-of-00002.safetensors'));
    expect([...(await store.readFloat32('a.w'))]).toEqual([1, 2]);
    expect([...(await store.readFloat32('a.b'))]).toEqual([3]);
    expect([...(await store.readFloat32('c.w'))]).toEqual([1]);
  });

  it('accepts shards in a sub-folder', async () => {
    const { index } = await model(
      {
        'x.w': 'shards/x.safetensors',
        'a.w': 'model-00001-of-00002.safetensors',
        'a.b': 'model-00001-of-00002.safetensors',
      },
      async (dir) => {
        await writeIn(
          dir,
          'shards/x.safetensors',
          buildSafetensors({ 'x.w': { dtype: 'F32', shape: [1], data: f32Bytes([9]) } }),
        );
      },
    );
    expect([...(await (await openShardedSafetensors(index)).readFloat32('x.w'))]).toEqual([9]);
  });

  it('refuses a missing shard, naming it and a tensor that needs it', async () => {
    const { index } = await model({
      'a.w': 'model-00001-of-00002.safetensors',
      'a.b': 'model-00001-of-00002.safetensors',
      'z.w': 'gone.safetensors',
    });
    await expectModelError(openShardedSafetensors(index), ShardIndexError, CODE, [
      index,
      'gone.safetensors',
      'z.w',
      'does not exist',
    ]);
  });

  it('refuses shard paths that escape the folder', async () => {
    for (const shard of [
      '../model-00001-of-00002.safetensors',
      '/etc/passwd',
      'sub/../../x.safetensors',
      'C:\\x.safetensors',
      '..\\x.safetensors',
      '.',
    ]) {
      const { index } = await model({ 'a.w': shard });
      await expectModelError(openShardedSafetensors(index), ShardIndexError, CODE, [index, 'a.w', shard]);
    }
  });

  it('refuses a tensor that is not in the shard the index names', async () => {
    const { index } = await model({
      'a.w': 'model-00001-of-00002.safetensors',
      'a.b': 'model-00001-of-00002.safetensors',
      'c.w': 'model-00002-of-00002.safetensors',
      'd.w': 'model-00002-of-00002.safetensors',
    });
    await expectModelError(openShardedSafetensors(index), ShardIndexError, CODE, [
      index,
      'd.w',
      'model-00002-of-00002.safetensors',
      'does not contain it',
    ]);
  });

  it('refuses a shard tensor the index does not list, or lists under another shard', async () => {
    const { index } = await model({
      'a.w': 'model-00001-of-00002.safetensors',
      'c.w': 'model-00002-of-00002.safetensors',
    });
    await expectModelError(openShardedSafetensors(index), ShardIndexError, CODE, [
      index,
      'a.b',
      'does not list it',
    ]);
    const moved = await model({
      'a.w': 'model-00001-of-00002.safetensors',
      'a.b': 'model-00002-of-00002.safetensors',
      'c.w': 'model-00002-of-00002.safetensors',
    });
    await expectModelError(openShardedSafetensors(moved.index), ShardIndexError, CODE, [moved.index, 'a.b']);
  });

  it('refuses a malformed index', async () => {
    const cases: [string, string][] = [
      ['{"weight_map": ', 'not valid JSON'],
      ['[]', 'not a JSON object'],
      ['{"metadata": {}}', 'weight_map'],
      ['{"metadata": 3, "weight_map": {"a.w": "x.safetensors"}}', 'metadata'],
      ['{"weight_map": {"a.w": 7}}', 'a.w'],
      ['{"weight_map": {}}', 'no tensors'],
    ];
    for (const [text, mention] of cases) {
      counter += 1;
      const index = await writeIn(join(root, `bad${counter}`), 'model.safetensors.index.json', text);
      await expectModelError(openShardedSafetensors(index), ShardIndexError, CODE, [index, mention]);
    }
  });

  it('passes on a malformed shard as a SafetensorsFormatError naming the shard', async () => {
    const { dir, index } = await model(undefined, async (d) => {
      await writeIn(d, 'model-00002-of-00002.safetensors', new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0x7b]));
    });
    await expectModelError(openShardedSafetensors(index), SafetensorsFormatError, 'SAMP_MODEL_SAFETENSORS', [
      join(dir, 'model-00002-of-00002.safetensors'),
    ]);
  });
});
