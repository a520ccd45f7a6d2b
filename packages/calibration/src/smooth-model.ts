import {
  computeFingerprint,
  InvalidProfileError,
  type ModelArtifacts,
  type ModelWeights,
  type QuantProfile,
  type TensorInfo,
  type TensorStore,
} from '@samp/core';
import { CalibrationTensorError, SmoothingError } from './errors';
import { smoothingSiteOf } from './smoothing-sites';

/**
 * A copy of `model` whose weights carry SmoothQuant `factors` (activation name → s, see
 * {@link SMOOTHING_SITES}): for `layers.i.attention.context`, the value projection's output rows and bias
 * divided by s and the attention-output weight's input columns multiplied by s. In FP32 the copy computes
 * what the original does (up to rounding); its INT8 GEMM inputs are smoother. Any backend runs it: the
 * changed tensors are float32 arrays in memory behind the same `ModelWeights` interface, the others are
 * read from the original files. Its `fingerprint` is that of the smoothed weights, so a profile
 * calibrated for the smoothed model is refused for the original and the other way round.
 * @throws SmoothingError for a tap that cannot be folded into weights, factors of the wrong width or not
 *   positive, or layers that share their weights (ALBERT); CalibrationTensorError for a missing weight.
 * @example
 * const smoothed = await smoothModel(model, { 'layers.0.attention.context': factors });
 */
export async function smoothModel(
  model: ModelArtifacts,
  factors: Readonly<Record<string, readonly number[]>>,
): Promise<ModelArtifacts> {
  const { weights } = model;
  const hidden = model.config.hiddenSize;
  const users = new Map<string, number>();
  for (const info of weights.tensors.values()) users.set(info.name, (users.get(info.name) ?? 0) + 1);
  const replaced = new Map<string, Float32Array>();
  const read = async (canonical: string): Promise<Float32Array> => {
    const info = weights.tensors.get(canonical);
    if (info === undefined) {
      throw new CalibrationTensorError(
        'weight',
        canonical,
        `${model.dir} has no such weight (SmoothQuant scales it)`,
      );
    }
    if ((users.get(info.name) ?? 0) > 1) {
      throw new SmoothingError(
        canonical,
        `is shared with other layers (stored as ${info.name}); per-layer SmoothQuant factors cannot be folded into shared weights`,
      );
    }
    if (replaced.has(canonical)) throw new SmoothingError(canonical, 'would be smoothed twice');
    return Float32Array.from(await weights.readFloat32(canonical));
  };
  for (const [name, s] of Object.entries(factors).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const found = smoothingSiteOf(name);
    if (found === undefined || found.layer >= model.config.numHiddenLayers) {
      throw new SmoothingError(
        name,
        "cannot be folded into the weights (samp folds SmoothQuant factors at layers.<i>.attention.context; a post-LayerNorm encoder's LayerNorm outputs also feed the residual connection)",
      );
    }
    if (s.length !== hidden || s.some((x) => !(x > 0) || !Number.isFinite(x))) {
      throw new SmoothingError(name, `expected ${hidden} positive finite factors, got ${s.length} values`);
    }
    const prefix = `layers.${found.layer}.`;
    const { producerWeight, producerBias, consumerWeight } = found.site;
    const producer = await read(prefix + producerWeight);
    const bias = await read(prefix + producerBias);
    const consumer = await read(prefix + consumerWeight);
    const columns = producer.length / hidden;
    for (let j = 0; j < hidden; j++) {
      const sj = s[j] as number;
      for (let k = j * columns; k < (j + 1) * columns; k++) producer[k] = (producer[k] as number) / sj;
      bias[j] = (bias[j] as number) / sj;
    }
    for (let row = 0; row < consumer.length; row += hidden) {
      for (let j = 0; j < hidden; j++) consumer[row + j] = (consumer[row + j] as number) * (s[j] as number);
    }
    replaced.set(prefix + producerWeight, producer);
    replaced.set(prefix + producerBias, bias);
    replaced.set(prefix + consumerWeight, consumer);
  }
  if (replaced.size === 0) return model;
  const smoothedWeights = withReplacedTensors(weights, replaced);
  return {
    dir: model.dir,
    config: model.config,
    tokenizer: model.tokenizer,
    weights: smoothedWeights,
    fingerprint: await computeFingerprint(model.config, smoothedWeights),
  };
}

/**
 * Runs `model` with a profile's SmoothQuant factors: returns `model` itself when the profile has none,
 * otherwise {@link smoothModel}'s copy, checked to be the very model the profile was calibrated for.
 * Call it before opening a session with a smoothed profile (any backend).
 * @param source names the profile in errors (default `QuantProfile`).
 * @throws InvalidProfileError when the smoothed copy's fingerprint is not the profile's (another model).
 * @example
 * const runnable = await applySmoothing(model, profile);
 * await using session = await backend.createSession(runnable, { precision: 'int8', profile });
 */
export async function applySmoothing(
  model: ModelArtifacts,
  profile: Pick<QuantProfile, 'model' | 'smoothing'>,
  source = 'QuantProfile',
): Promise<ModelArtifacts> {
  const factors = profile.smoothing;
  if (factors === undefined || Object.keys(factors).length === 0) return model;
  const smoothed = await smoothModel(model, factors);
  if (smoothed.fingerprint !== profile.model.fingerprint) {
    throw new InvalidProfileError(
      source,
      'model.fingerprint',
      `${model.dir} with the profile's SmoothQuant factors is not the model the profile was calibrated for (${profile.model.fingerprint}, got ${smoothed.fingerprint})`,
    );
  }
  return smoothed;
}

/** `weights` with some canonical tensors replaced by float32 arrays held in memory. */
function withReplacedTensors(
  weights: ModelWeights,
  replaced: ReadonlyMap<string, Float32Array>,
): ModelWeights {
  const byStoredName = new Map<string, Float32Array>();
  const describe = (info: TensorInfo, data: Float32Array): TensorInfo => ({
    name: info.name,
    dtype: 'F32',
    shape: info.shape,
    // Not in any file: the smoothed copy lives in memory; readBytes/readFloat32 serve it.
    file: `${info.file} (SmoothQuant copy in memory)`,
    byteOffset: 0,
    byteLength: data.byteLength,
  });
  const tensors = new Map(weights.tensors);
  for (const [canonical, data] of replaced) {
    const info = weights.tensors.get(canonical) as TensorInfo;
    byStoredName.set(info.name, data);
    tensors.set(canonical, describe(info, data));
  }
  const base = weights.store;
  const storeTensors = new Map(base.tensors);
  for (const [stored, info] of base.tensors) {
    const data = byStoredName.get(stored);
    if (data !== undefined) storeTensors.set(stored, describe(info, data));
  }
  const store: TensorStore = {
    tensors: storeTensors,
    files: base.files,
    ...(base.skipped === undefined ? {} : { skipped: base.skipped }),
    async readBytes(name) {
      const data = byStoredName.get(name);
      if (data === undefined) return base.readBytes(name);
      // Little-endian float32, as safetensors stores F32 (every platform Node runs samp on is little-endian).
      return new Uint8Array(data.slice().buffer);
    },
    async readFloat32(name) {
      const data = byStoredName.get(name);
      return data === undefined ? base.readFloat32(name) : data.slice();
    },
  };
  return {
    store,
    tensors,
    ignored: weights.ignored,
    readFloat32(canonical) {
      const data = replaced.get(canonical);
      return data === undefined ? weights.readFloat32(canonical) : Promise.resolve(data.slice());
    },
  };
}
