import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelFileNotFoundError, VocabError } from '../errors/model-errors';
import { openWeights } from '../weights';
import type { TensorStore } from '../weights/tensor-store';
import { readModelConfig } from './config';
import { computeFingerprint } from './fingerprint';
import { mapWeights } from './map-weights';
import type { ModelArtifacts } from './model-artifacts';
import { readTokenizerSettings } from './tokenizer-settings';

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /**
   * Read the tokenizer settings too (default `true`). With `false` the tokenizer files are not read
   * (`tokenizer` is `undefined`), so a folder whose tokenizer samp does not support (BPE,
   * SentencePiece) still loads.
   */
  readonly tokenizer?: boolean;
}

async function checkFolder(dir: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(dir)).isDirectory();
  } catch (error) {
    throw new ModelFileNotFoundError({ file: dir }, 'the model folder does not exist', { cause: error });
  }
  if (!isFolder) throw new ModelFileNotFoundError({ file: dir }, 'is not a folder (expected a model folder)');
}

/** The file to name in weight errors: the checkpoint itself, or the shard index of a sharded one. */
async function checkpointFile(dir: string, store: TensorStore): Promise<string> {
  if (store.files.length === 1 && store.files[0] !== undefined) return store.files[0];
  const index = join(dir, 'model.safetensors.index.json');
  try {
    if ((await stat(index)).isFile()) return index;
  } catch {
    // No index: fall back to the folder.
  }
  return dir;
}

/**
 * Loads a Hugging Face model folder: `config.json`, the weights (model.safetensors, a sharded
 * safetensors index, or pytorch_model.bin), and the tokenizer settings, read in parallel; then maps
 * the weights to canonical names, checks them against the config and fingerprints the model.
 * Tensor contents stay on disk except while fingerprinting, which reads every weight once.
 * When several files are broken, the config's error is reported first, then the weights', then the
 * tokenizer's.
 *
 * @param dir the model folder.
 * @param options `tokenizer` (default `true`): also read the tokenizer settings.
 * @throws ModelFileNotFoundError when `dir` is not a folder or a required file is missing.
 * @throws VocabError when the tokenizer has more tokens than `vocab_size`, or see `readTokenizerSettings`.
 * @throws ModelConfigError, UnsupportedModelTypeError, WeightMismatchError and the
 *   checkpoint readers' errors, each naming the file and the field or tensor.
 * @example
 * const model = await loadModel('/models/bert-base-uncased');
 * model.config.numHiddenLayers; // 12
 * await model.weights.readFloat32('embeddings.word');
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<ModelArtifacts> {
  const folder = resolve(dir);
  await checkFolder(folder);
  const [config, store, tokenizer] = await Promise.allSettled([
    readModelConfig(folder),
    openWeights(folder, { skipUnsupportedDtypes: true }),
    options.tokenizer === false ? Promise.resolve(undefined) : readTokenizerSettings(folder),
  ]);
  if (config.status === 'rejected') throw config.reason;
  if (store.status === 'rejected') throw store.reason;
  if (tokenizer.status === 'rejected') throw tokenizer.reason;
  const settings = tokenizer.value;
  if (settings !== undefined && settings.vocab.length > config.value.vocabSize) {
    // Ids past vocab_size would index outside the word-embedding table.
    throw new VocabError(
      { file: settings.vocabFile },
      `has ${settings.vocab.length} tokens, more than config.json's vocab_size ${config.value.vocabSize}`,
    );
  }
  const weights = mapWeights(
    config.value,
    store.value,
    await checkpointFile(folder, store.value),
    join(folder, 'config.json'),
  );
  const fingerprint = await computeFingerprint(config.value, weights);
  return {
    dir: folder,
    config: config.value,
    weights,
    tokenizer: settings,
    fingerprint,
  };
}
