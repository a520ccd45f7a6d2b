import { UnsupportedDtypeError, WeightMismatchError } from '../errors/model-errors';
import { InvalidArgumentError } from '../errors/runtime-errors';
import { DTYPE_BYTES, type TensorInfo, type TensorStore } from '../weights/tensor-store';
import { describeArchitecture } from './architectures/describe-architecture';
import type { ExpectedTensor } from './architectures/types';
import type { ModelWeights } from './model-artifacts';
import type { ModelConfig } from './model-config';

/**
 * Heads and buffers a checkpoint may carry that samp deliberately does not use (matched on the name
 * without the base-model prefix): masked-LM and pretraining heads, and the `position_ids` /
 * `token_type_ids` buffers older transformers versions saved.
 */
const IGNORED_PREFIXES = [
  'cls.',
  'lm_head.',
  'generator_',
  'discriminator_predictions.',
  'predictions.',
  'vocab_transform.',
  'vocab_layer_norm.',
  'vocab_projector.',
  'sop_classifier.',
];

/** True for a stored tensor samp ignores by design (name given without the base-model prefix). */
export function isIgnoredTensor(name: string): boolean {
  if (/(^|\.)(position_ids|token_type_ids)$/.test(name)) return true;
  return IGNORED_PREFIXES.some((p) => name.startsWith(p));
}

/** Stored names to look for, in order of preference. */
function candidates(t: ExpectedTensor, prefix: string): string[] {
  const names = t.inBaseModel ? [`${prefix}.${t.stored}`, t.stored] : [t.stored];
  if (!t.name.includes('norm.')) return names;
  // Checkpoints converted from TensorFlow name LayerNorm parameters gamma/beta; transformers renames
  // them on load, and so does samp.
  const legacy = names.map((n) => n.replace(/\.weight$/, '.gamma').replace(/\.bias$/, '.beta'));
  return [...names, ...legacy];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Maps a checkpoint's stored tensor names to samp's canonical names for `config`'s architecture and
 * checks them: every required tensor present, none unexpected, every shape as the config implies.
 * Masked-LM / pretraining heads and `position_ids`-style buffers are listed in `ignored`.
 * `file` names the checkpoint in errors; `configFile` names the config (default `config.json`).
 *
 * @throws WeightMismatchError listing every missing, unexpected and mis-shaped tensor at once.
 * @throws UnsupportedDtypeError when a tensor samp needs was left out of the store for its dtype.
 * @throws ModelConfigError for ALBERT with `inner_group_num` other than 1.
 * @example
 * const weights = mapWeights(config, await openWeights(dir), join(dir, 'model.safetensors'));
 * const query = await weights.readFloat32('layers.0.attention.query.weight');
 */
export function mapWeights(
  config: ModelConfig,
  store: TensorStore,
  file: string,
  configFile = 'config.json',
): ModelWeights {
  const description = describeArchitecture(config, configFile);
  const prefix = description.basePrefix;
  const prefixed = `${prefix}.`;
  const strip = (name: string) => (name.startsWith(prefixed) ? name.slice(prefixed.length) : name);

  const ignored: string[] = [];
  for (const skipped of store.skipped ?? []) {
    if (isIgnoredTensor(strip(skipped.name))) ignored.push(skipped.name);
    else
      throw new UnsupportedDtypeError(
        { file, tensor: skipped.name },
        skipped.dtype,
        Object.keys(DTYPE_BYTES),
      );
  }

  const usesPrefix = [...store.tensors.keys()].some((n) => n.startsWith(prefixed));
  const tensors = new Map<string, TensorInfo>();
  const used = new Set<string>();
  const missing: string[] = [];
  const misshaped: { tensor: string; expected: readonly number[]; actual: readonly number[] }[] = [];
  const misshapedSeen = new Set<string>();
  for (const t of description.tensors) {
    const info = candidates(t, prefix)
      .map((n) => store.tensors.get(n))
      .find((i) => i !== undefined);
    if (info === undefined) {
      const shown = t.inBaseModel && usesPrefix ? `${prefixed}${t.stored}` : t.stored;
      if (t.required && !missing.includes(shown)) missing.push(shown);
      continue;
    }
    used.add(info.name);
    tensors.set(t.name, info);
    if (!sameShape(info.shape, t.shape) && !misshapedSeen.has(info.name)) {
      misshapedSeen.add(info.name);
      misshaped.push({ tensor: info.name, expected: t.shape, actual: info.shape });
    }
  }

  const unusedStored = new Set(description.unusedStored);
  const unexpected: string[] = [];
  for (const name of store.tensors.keys()) {
    if (used.has(name)) continue;
    const bare = strip(name);
    if (isIgnoredTensor(bare) || unusedStored.has(bare)) ignored.push(name);
    else unexpected.push(name);
  }
  if (missing.length > 0 || unexpected.length > 0 || misshaped.length > 0) {
    throw new WeightMismatchError(file, { missing, unexpected, misshaped });
  }
  return new CanonicalWeights(store, tensors, ignored);
}

class CanonicalWeights implements ModelWeights {
  constructor(
    readonly store: TensorStore,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly ignored: readonly string[],
  ) {}

  readFloat32(canonicalName: string): Promise<Float32Array> {
    const info = this.tensors.get(canonicalName);
    if (info === undefined) {
      return Promise.reject(
        new InvalidArgumentError(
          'canonicalName',
          `the model has no tensor "${canonicalName}" (it has ${[...this.tensors.keys()].slice(0, 3).join(', ')}, …)`,
        ),
      );
    }
    return this.store.readFloat32(info.name);
  }
}
