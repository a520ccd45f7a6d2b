import {
  type ActivationShapeConfig,
  activationTensorNames,
  CALIBRATION_METHODS,
  type CalibrationMethod,
  type CalibrationMethodOptions,
  type EncoderSession,
  InvalidArgumentError,
  layerActivationName,
  type ModelArtifacts,
  parseActivationTensorName,
  QUANT_PROFILE_FORMAT,
  QUANT_PROFILE_VERSION,
  type QuantProfile,
} from '@samp/core';
import { checkNumBins, DEFAULT_NUM_BINS } from './abs-histogram';
import { type CalibrationBatches, readBatches } from './batch-source';
import { CalibrationTensorError, EmptyCalibrationSetError } from './errors';
import { compareMethods, type TensorMethodReport } from './method-report';
import { DEFAULT_PERCENTILE } from './methods/threshold-for-method';
import { realTokenCounts } from './real-token-segments';
import { smoothModel } from './smooth-model';
import { checkAlpha, columnAbsMax, smoothQuantFactors } from './smooth-quant-factors';
import { SMOOTHING_SITES, smoothingSiteOf } from './smoothing-sites';
import { TensorObserver } from './tensor-observer';
import { perChannelWeightScales } from './weight-scales';

/** The method `calibrate` uses when none is given. */
export const DEFAULT_CALIBRATION_METHOD: CalibrationMethod = 'percentile';

/** Where a calibration run is, after each batch. */
export interface CalibrationProgress {
  /** `smoothing` (SmoothQuant's per-channel maxima, the first of two passes) or `statistics`. */
  readonly phase: 'smoothing' | 'statistics';
  /** 1-based pass number, of `passes` (2 with SmoothQuant, else 1). */
  readonly pass: number;
  readonly passes: number;
  /** Batches, rows and real tokens done in this pass. */
  readonly batches: number;
  readonly rows: number;
  readonly tokens: number;
}

/** Options of {@link calibrate}. */
export interface CalibrateOptions {
  /** How each activation's clipping range is chosen (default `percentile`). */
  readonly method?: CalibrationMethod;
  /** The percentile of |x| kept by `percentile`, in (0, 100] (default 99.99). */
  readonly percentile?: number;
  /** Histogram bins per tensor, a power of two from 256 (default 4096). */
  readonly numBins?: number;
  /**
   * SmoothQuant migration strength α in [0, 1]; when set, factors `s = max|X|^α / max|W|^(1−α)` are
   * computed at every {@link SMOOTHING_SITES} tap (one extra pass over the batches), recorded in the
   * profile's `smoothing`, and the activation scales are those of the smoothed model (default: none).
   */
  readonly smoothQuantAlpha?: number;
  /** Activation tensors to calibrate (default: every tap of `activationTensorNames`). */
  readonly tensors?: readonly string[];
  /** Also record per-channel weight scales of the Linear weights (default true). */
  readonly weightScales?: boolean;
  /** The profile's `createdAt` (default: none, so that the same input gives the same file). */
  readonly createdAt?: Date | string;
  /** Told after every batch. */
  readonly onProgress?: (progress: CalibrationProgress) => void;
}

/** What a calibration run observed, and how each method would have quantized each tensor. */
export interface CalibrationReport {
  readonly method: CalibrationMethod;
  readonly methodOptions: CalibrationMethodOptions;
  /** Batches, rows and real tokens of the statistics pass. */
  readonly batches: number;
  readonly rows: number;
  readonly tokens: number;
  /** Per tensor, in the order calibrated. */
  readonly tensors: readonly TensorMethodReport[];
}

/** The result of {@link calibrate}. */
export interface CalibrationResult {
  readonly profile: QuantProfile;
  /**
   * The model the profile belongs to: the session's model, or with SmoothQuant its smoothed copy (run
   * INT8 sessions on this one; `applySmoothing` rebuilds it from the original model and the profile).
   */
  readonly model: ModelArtifacts;
  readonly report: CalibrationReport;
}

/**
 * Post-training INT8 calibration over an FP32 session: streams the batches through `session.run` with
 * `observe`, folds each batch's activations into running statistics (a histogram of |x| per tensor, real
 * tokens only) and drops them, then chooses each tensor's clipping threshold with `method`, adds
 * per-channel weight scales and, with `smoothQuantAlpha`, SmoothQuant factors. The profile is the same
 * for the same model, batches and options.
 * @param session an FP32 session of the model (any backend that supports `observe`).
 * @param batches the calibration set as padded batches (see {@link CalibrationBatches}).
 * @param options `method` (`percentile`), `percentile` (99.99), `numBins` (4096), `smoothQuantAlpha`
 *   (none), `tensors` (all taps), `weightScales` (true), `createdAt` (none), `onProgress`.
 * @throws EmptyCalibrationSetError when no batch has a real token; CalibrationTensorError when the
 *   session does not return a tensor (or the model lacks a weight) the profile needs;
 *   NonFiniteActivationError; InvalidArgumentError for bad options or a non-FP32 session.
 * @example
 * await using session = await createCpuBackend().createSession(model);
 * const { profile, report } = await calibrate(session, batches, { method: 'entropy' });
 * await writeQuantProfile('model.profile.json', profile);
 */
export async function calibrate(
  session: EncoderSession,
  batches: CalibrationBatches,
  options: CalibrateOptions = {},
): Promise<CalibrationResult> {
  const settings = checkOptions(session, options);
  const { config } = session.model;
  const shapes: ActivationShapeConfig = {
    hiddenSize: config.hiddenSize,
    intermediateSize: config.intermediateSize,
    numAttentionHeads: config.numAttentionHeads,
    embeddingSize: config.embeddingSize,
  };
  const tensors = checkTensorNames(options.tensors, config.numHiddenLayers);
  const createdAt = options.createdAt === undefined ? undefined : toDateTime(options.createdAt);
  const alpha = options.smoothQuantAlpha;
  const passes = alpha === undefined ? 1 : 2;

  let factors: Record<string, number[]> | undefined;
  let model = session.model;
  const divisors = new Map<string, number[]>();
  if (alpha !== undefined) {
    const observers = smoothingObservers(config.numHiddenLayers, shapes);
    const seen = await runPass(session, batches, observers, 'smoothing', 1, passes, options.onProgress);
    if (seen.tokens === 0) throw emptySet();
    factors = {};
    for (const observer of observers) {
      const found = smoothingSiteOf(observer.name);
      if (found === undefined) continue;
      const consumer = `layers.${found.layer}.${found.site.consumerWeight}`;
      const weight = await readWeight(model, consumer);
      const s = smoothQuantFactors(
        observer.channelAbsMax as Float64Array,
        columnAbsMax(weight, config.hiddenSize),
        alpha,
      );
      factors[observer.name] = s;
      for (const tap of found.site.dividedTaps) divisors.set(layerActivationName(found.layer, tap), s);
    }
    model = await smoothModel(model, factors);
  }

  const observers = tensors.map(
    (name) =>
      new TensorObserver(name, shapes, {
        numBins: settings.numBins,
        ...(divisors.has(name) ? { divisors: divisors.get(name) as number[] } : {}),
      }),
  );
  const seen = await runPass(session, batches, observers, 'statistics', passes, passes, options.onProgress);
  if (seen.tokens === 0) throw emptySet();

  const methodOptions: CalibrationMethodOptions = {};
  if (settings.method !== 'max') methodOptions.numBins = settings.numBins;
  if (settings.method === 'percentile') methodOptions.percentile = settings.percentile;
  if (alpha !== undefined) methodOptions.smoothQuantAlpha = alpha;

  const reports: TensorMethodReport[] = [];
  const activations: QuantProfile['activations'] = {};
  for (const observer of observers) {
    const histogram = observer.histogram;
    if (histogram === undefined) continue;
    const report = compareMethods(observer.name, histogram, settings.method, {
      percentile: settings.percentile,
    });
    reports.push(report);
    activations[observer.name] = { scale: report.scale, absMax: histogram.absMax };
  }
  const profile: QuantProfile = {
    format: QUANT_PROFILE_FORMAT,
    version: QUANT_PROFILE_VERSION,
    model: {
      fingerprint: model.fingerprint,
      modelType: config.modelType,
      numHiddenLayers: config.numHiddenLayers,
      hiddenSize: config.hiddenSize,
    },
    method: settings.method,
    ...(Object.keys(methodOptions).length > 0 ? { methodOptions } : {}),
    ...(createdAt === undefined ? {} : { createdAt }),
    activations,
  };
  if (options.weightScales !== false) profile.weights = await perChannelWeightScales(model);
  if (factors !== undefined) profile.smoothing = factors;
  return {
    profile,
    model,
    report: {
      method: settings.method,
      methodOptions,
      batches: seen.batches,
      rows: seen.rows,
      tokens: seen.tokens,
      tensors: reports,
    },
  };
}

interface PassCounts {
  batches: number;
  rows: number;
  tokens: number;
}

/** One pass over the batches: run, observe, fold into the observers, drop. */
async function runPass(
  session: EncoderSession,
  batches: CalibrationBatches,
  observers: readonly TensorObserver[],
  phase: CalibrationProgress['phase'],
  pass: number,
  passes: number,
  onProgress: CalibrateOptions['onProgress'],
): Promise<PassCounts> {
  const observe = observers.map((o) => o.name);
  const counts: PassCounts = { batches: 0, rows: 0, tokens: 0 };
  for await (const batch of readBatches(batches)) {
    const real = realTokenCounts(batch);
    const tokens = real.reduce((a, b) => a + b, 0);
    if (tokens > 0) {
      const output = await session.run(batch, { observe });
      for (const observer of observers) {
        observer.observe(
          output.observed?.[observer.name],
          batch.batchSize,
          batch.sequenceLength,
          real,
          counts.batches,
        );
      }
    }
    counts.batches++;
    counts.rows += batch.batchSize;
    counts.tokens += tokens;
    onProgress?.({ phase, pass, passes, batches: counts.batches, rows: counts.rows, tokens: counts.tokens });
  }
  if (pass > 1 && counts.batches === 0) {
    throw new InvalidArgumentError(
      'batches',
      'the second pass (SmoothQuant reads the batches twice) got no batches: pass an array or a function that returns a fresh iterable, not a one-shot generator',
    );
  }
  return counts;
}

function smoothingObservers(layers: number, shapes: ActivationShapeConfig): TensorObserver[] {
  const observers: TensorObserver[] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (const site of SMOOTHING_SITES) {
      observers.push(
        new TensorObserver(layerActivationName(layer, site.tap), shapes, { mode: 'channel-max' }),
      );
    }
  }
  return observers;
}

async function readWeight(model: ModelArtifacts, name: string): Promise<Float32Array> {
  if (!model.weights.tensors.has(name)) {
    throw new CalibrationTensorError(
      'weight',
      name,
      `${model.dir} has no such weight (SmoothQuant reads it)`,
    );
  }
  return model.weights.readFloat32(name);
}

const emptySet = () =>
  new EmptyCalibrationSetError(
    'batches',
    'no batch has a real token (every attention mask is 0, or there are no batches)',
  );

function checkOptions(
  session: EncoderSession,
  options: CalibrateOptions,
): { method: CalibrationMethod; percentile: number; numBins: number } {
  if (session.precision !== 'fp32' || session.plan !== undefined) {
    throw new InvalidArgumentError(
      'session',
      `calibration observes FP32 activations; open the session at precision fp32 without a plan (it runs ${session.precision})`,
    );
  }
  const method = options.method ?? DEFAULT_CALIBRATION_METHOD;
  if (!(CALIBRATION_METHODS as readonly string[]).includes(method)) {
    throw new InvalidArgumentError(
      'method',
      `expected one of ${CALIBRATION_METHODS.join(', ')}, got ${String(method)}`,
    );
  }
  const percentile = options.percentile ?? DEFAULT_PERCENTILE;
  if (typeof percentile !== 'number' || !(percentile > 0 && percentile <= 100)) {
    throw new InvalidArgumentError('percentile', `expected a number in (0, 100], got ${String(percentile)}`);
  }
  const numBins = options.numBins ?? DEFAULT_NUM_BINS;
  checkNumBins(numBins);
  if (options.smoothQuantAlpha !== undefined) checkAlpha(options.smoothQuantAlpha);
  return { method, percentile, numBins };
}

function checkTensorNames(names: readonly string[] | undefined, layers: number): string[] {
  if (names === undefined) return activationTensorNames(layers);
  if (!Array.isArray(names) || names.length === 0) {
    throw new InvalidArgumentError('tensors', 'expected a non-empty array of activation tensor names');
  }
  const seen = new Set<string>();
  names.forEach((name, i) => {
    const parsed = typeof name === 'string' ? parseActivationTensorName(name) : undefined;
    if (parsed === undefined) {
      throw new InvalidArgumentError(
        `tensors[${i}]`,
        `${String(name)} is not an activation tensor name (embeddings.output or layers.<i>.<tap>)`,
      );
    }
    if (parsed.kind === 'layer' && parsed.layer >= layers) {
      throw new InvalidArgumentError(
        `tensors[${i}]`,
        `${name} names layer ${parsed.layer}; the model has ${layers}`,
      );
    }
    if (seen.has(name)) throw new InvalidArgumentError(`tensors[${i}]`, `${name} is listed twice`);
    seen.add(name);
  });
  return [...names];
}

function toDateTime(value: Date | string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError('createdAt', `expected a date, got ${String(value)}`);
  }
  // Whole seconds in UTC: the RFC 3339 form the profile schema asks for.
  return `${date.toISOString().slice(0, 19)}Z`;
}
