import { join, resolve } from 'node:path';
import { ModelFileNotFoundError } from '../errors/model-errors';
import { isRegularFile } from './file-range';
import { openSafetensors } from './safetensors';
import { openShardedSafetensors } from './sharded-safetensors';
import type { OpenWeightsOptions, TensorStore } from './tensor-store';
import { openTorchCheckpoint } from './torch-checkpoint';

/** The weight files `openWeights` looks for, in order of preference. */
export const WEIGHT_FILES = [
  'model.safetensors',
  'model.safetensors.index.json',
  'pytorch_model.bin',
] as const;

/**
 * Opens the weights of a Hugging Face model folder: `model.safetensors`, else the sharded
 * `model.safetensors.index.json`, else `pytorch_model.bin`. Throws `ModelFileNotFoundError`, listing
 * the files looked for, when there is none. `options.skipUnsupportedDtypes` (default `false`) leaves
 * tensors of other dtypes out instead of refusing the checkpoint.
 *
 * @example
 * const store = await openWeights('models/bert-base-uncased');
 * for (const [name, info] of store.tensors) console.log(name, info.dtype, info.shape);
 */
export async function openWeights(dir: string, options: OpenWeightsOptions = {}): Promise<TensorStore> {
  const root = resolve(dir);
  const [single, index, bin] = WEIGHT_FILES.map((name) => join(root, name)) as [string, string, string];
  if (await isRegularFile(single)) return openSafetensors(single, options);
  if (await isRegularFile(index)) return openShardedSafetensors(index, options);
  if (await isRegularFile(bin)) return openTorchCheckpoint(bin, options);
  const unsupported = (await isRegularFile(join(root, 'pytorch_model.bin.index.json')))
    ? '; a sharded pytorch_model.bin.index.json is present, which samp does not read (convert it to safetensors)'
    : '';
  throw new ModelFileNotFoundError(
    { file: root },
    `no weights file found; looked for ${WEIGHT_FILES.join(', ')}${unsupported}`,
  );
}
