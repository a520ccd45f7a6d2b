import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep, win32 } from 'node:path';
import { SafetensorsFormatError, ShardIndexError } from '../errors/model-errors';
// showJson: JSON.stringify of a deeply nested index value overflows the stack (see its comment).
import { showJson } from '../model/json-file';
import { isRegularFile, openRegularFile } from './file-range';
import { FileTensorStore } from './file-tensor-store';
import { openSafetensors } from './safetensors';
import type { OpenWeightsOptions, SkippedTensor, TensorInfo, TensorStore } from './tensor-store';

/** The largest `model.safetensors.index.json` samp reads. */
export const MAX_SHARD_INDEX_BYTES = 100_000_000;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a shard path from the index may not be used, or `undefined` when it is a file inside `dir`. */
function shardPathProblem(dir: string, shard: string): string | undefined {
  if (shard.length === 0) return 'is empty';
  if (shard.includes('\0')) return 'contains a NUL character';
  if (isAbsolute(shard) || win32.isAbsolute(shard)) return 'is absolute';
  if (shard.split(/[\\/]/).includes('..')) return 'contains ".."';
  const rel = relative(dir, resolve(dir, shard));
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel))
    return 'is not inside the model folder';
  return undefined;
}

/**
 * Opens a sharded safetensors checkpoint from its index (`model.safetensors.index.json`, of the form
 * `{"metadata": {...}, "weight_map": {tensor: shardFile}}`) and merges the shards into one store, in
 * the index's order. Shard paths must stay inside the index's folder.
 *
 * Throws `ShardIndexError` when the index is malformed, a shard path escapes the folder, a shard is
 * absent (naming the shard and a tensor that needs it), or the index and a shard disagree about which
 * tensors the shard holds; errors of a shard itself come from `openSafetensors`.
 *
 * @example
 * const store = await openShardedSafetensors('models/big/model.safetensors.index.json');
 */
export async function openShardedSafetensors(
  indexFile: string,
  options: OpenWeightsOptions = {},
): Promise<TensorStore> {
  const path = resolve(indexFile);
  const dir = dirname(path);
  const { handle, size } = await openRegularFile(path);
  await handle.close();
  if (size > MAX_SHARD_INDEX_BYTES) {
    throw new ShardIndexError(
      { file: path },
      `the index has ${size} bytes, over the limit of ${MAX_SHARD_INDEX_BYTES}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ShardIndexError({ file: path }, `the index is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!isPlainObject(json)) throw new ShardIndexError({ file: path }, 'the index is not a JSON object');
  if (json.metadata !== undefined && !isPlainObject(json.metadata)) {
    throw new ShardIndexError({ file: path, field: 'metadata' }, 'expected an object');
  }
  const weightMap = json.weight_map;
  if (!isPlainObject(weightMap)) {
    throw new ShardIndexError(
      { file: path, field: 'weight_map' },
      'expected an object mapping tensor names to shard files',
    );
  }

  // Shard → the tensors the index puts in it, in index order.
  const shards = new Map<string, string[]>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    const at = { file: path, tensor, field: `weight_map.${tensor}` };
    if (typeof shard !== 'string') {
      throw new ShardIndexError(at, `expected a shard file name, found ${showJson(shard)}`);
    }
    const problem = shardPathProblem(dir, shard);
    if (problem !== undefined) {
      throw new ShardIndexError(
        at,
        `the shard path "${shard}" ${problem}; shards must be files inside ${dir}`,
      );
    }
    const list = shards.get(shard);
    if (list === undefined) shards.set(shard, [tensor]);
    else list.push(tensor);
  }
  if (shards.size === 0) {
    throw new ShardIndexError({ file: path, field: 'weight_map' }, 'the index lists no tensors');
  }

  for (const [shard, tensors] of shards) {
    let exists: boolean;
    try {
      exists = await isRegularFile(resolve(dir, shard));
    } catch (error) {
      // The index chooses the name, so the lookup itself can fail (ENAMETOOLONG for a 100 000-character
      // name, found by fuzzing); that is a bad index, not an I/O error to pass through untyped.
      throw new ShardIndexError(
        { file: path, tensor: tensors[0] as string, field: `weight_map.${tensors[0]}` },
        `the shard path "${showJson(shard, 300)}" cannot be looked up (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        { cause: error },
      );
    }
    if (!exists) {
      throw new ShardIndexError(
        { file: path, tensor: tensors[0] as string, field: `weight_map.${tensors[0]}` },
        `the shard "${shard}" (needed by tensor "${tensors[0]}"${tensors.length > 1 ? ` and ${tensors.length - 1} more` : ''}) does not exist at ${resolve(dir, shard)}`,
      );
    }
  }

  const stores = new Map<string, TensorStore>();
  await Promise.all(
    [...shards.keys()].map(async (shard) => {
      stores.set(shard, await openSafetensors(resolve(dir, shard), options));
    }),
  );

  const owner = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(weightMap) as [string, string][]) owner.set(tensor, shard);
  const merged = new Map<string, TensorInfo>();
  const skipped: SkippedTensor[] = [];
  const files: string[] = [];
  for (const shard of shards.keys()) {
    const store = stores.get(shard) as TensorStore;
    files.push(resolve(dir, shard));
    for (const name of [...store.tensors.keys(), ...(store.skipped ?? []).map((s) => s.name)]) {
      if (owner.get(name) !== shard) {
        throw new ShardIndexError(
          { file: path, tensor: name },
          owner.has(name)
            ? `the index puts the tensor in "${owner.get(name)}", but it is (also) stored in "${shard}"`
            : `the tensor is stored in "${shard}" but the index's weight_map does not list it`,
        );
      }
    }
  }
  for (const [tensor, shard] of owner) {
    const store = stores.get(shard) as TensorStore;
    const info = store.tensors.get(tensor);
    if (info !== undefined) {
      merged.set(tensor, info);
      continue;
    }
    const skippedEntry = store.skipped?.find((s) => s.name === tensor);
    if (skippedEntry !== undefined) {
      skipped.push(skippedEntry);
      continue;
    }
    throw new ShardIndexError(
      { file: path, tensor, field: `weight_map.${tensor}` },
      `the index puts the tensor in "${shard}", but that shard does not contain it`,
    );
  }
  return new FileTensorStore(
    merged,
    files,
    (info, problem, cause) =>
      new SafetensorsFormatError({ file: info.file, tensor: info.name }, problem, { cause }),
    skipped,
  );
}
