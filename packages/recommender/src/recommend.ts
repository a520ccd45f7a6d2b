import {
  type GemmName,
  InvalidArgumentError,
  isGemmName,
  isLayerPrecision,
  type LayerPrecision,
} from '@samp/core';
import {
  type BasePrecision,
  type Candidate,
  candidateKey,
  describeCandidate,
  isBaseLayer,
  isBasePrecision,
  uniformCandidate,
} from './candidate';
import { choosePlan } from './choose';
import type { LatencyMeasurer, PlanEvaluator, PlanScore } from './evaluator';
import { paretoFrontier } from './frontier';
import {
  cachedTables,
  findCacheEntry,
  type LatencyCacheKey,
  readLatencyCache,
  recordLatencies,
  writeLatencyCache,
} from './latency-cache';
import { crossValidateLatency } from './latency-cross-validation';
import { latencyFitPlans } from './latency-fit-plans';
import {
  checkLatencyTable,
  estimateLatencyTable,
  fitLatencyTable,
  type LatencyMeasurement,
  predictLatency,
} from './latency-model';
import {
  type ExcludedPrecision,
  type LatencyTable,
  MEASUREMENT_TABLES_FORMAT,
  MEASUREMENT_TABLES_VERSION,
  type MeasurementTables,
  type SensitivityEntry,
} from './measurement-tables';
import { proposeCandidates } from './propose-candidates';
import { type ConstraintOptions, ruleOf } from './recommend-rule';
import type { EvaluatedPlan, Recommendation } from './recommendation';
import type { SensitivityMeasure } from './sensitivity';
import { DEFAULT_LATENCY_ROUNDS, timeInRounds } from './time-in-rounds';

/** The phases `recommend()` reports progress for, in order. */
export type RecommendPhase = 'baseline' | 'sensitivity' | 'latency' | 'search' | 'verify' | 'held-out';

/** One progress step: `done` of `total` in `phase`, and the plan just finished. */
export interface RecommendProgress {
  phase: RecommendPhase;
  done: number;
  total: number;
  label?: string;
}

/** Options of {@link recommend}. */
export interface RecommendOptions extends ConstraintOptions {
  /** The model: its fingerprint and layer count (a `ModelArtifacts` fits). */
  model: { readonly fingerprint: string; readonly config: { readonly numHiddenLayers: number } };
  /** The device the plan is for, as the plan records it (`cpu`, `cuda`). */
  device: string;
  /**
   * The float precision of every layer the search leaves unquantized (default `fp32`, the CPU's): the
   * baseline is the all-base plan, sensitivity quantizes one layer of it, and every drop is relative to it.
   * `fp16` suits GPUs, whose sessions run one float precision: no plan then has an fp32 layer, and fp16 is
   * not a mode.
   */
  basePrecision?: BasePrecision;
  /** The batch shape latency is measured and predicted at. */
  batchSize: number;
  sequenceLength: number;
  /** Runs a plan on the choose or held-out split and scores it. */
  evaluate: PlanEvaluator;
  /** What the evaluator's score is (default `accuracy`; `agreement` for label-free evaluators). */
  metric?: string;
  /** Times a plan at the batch shape (ms). Without it, `latencyTable` or the cache must price plans. */
  measureLatency?: LatencyMeasurer;
  /**
   * Rounds each timed set (the fit plans, then the re-timed plans) is measured in; each plan's median
   * over the rounds counts (default {@link DEFAULT_LATENCY_ROUNDS}). One round is what earlier versions did.
   */
  latencyRounds?: number;
  /** A latency table to use instead of measuring. */
  latencyTable?: LatencyTable;
  /**
   * A JSON file caching measured latencies per device, model and shape (read, then updated atomically).
   * `key` names the device precisely (default: `device`) and any variant that changes speed.
   */
  latencyCache?: { file: string; key?: Partial<Omit<LatencyCacheKey, 'model'>> };
  /**
   * Layer precisions the backend runs besides the base (default `int8-full`, `int8-ffn`); neither float
   * precision is one with an fp16 base.
   */
  precisions?: readonly LayerPrecision[];
  /** Precisions left out of the search, with the reason (recorded in the result). */
  excluded?: readonly ExcludedPrecision[];
  /** GEMMs to search one by one in int8 (per-GEMM plans; default none: layer precisions only). */
  gemms?: readonly GemmName[];
  /** Walk the plan space greedily besides SAMP's prefixes (default true). */
  greedy?: boolean;
  /** What orders layers (default: drift when the evaluator reports it, else score). */
  sensitivityMeasure?: SensitivityMeasure;
  /** Score the base plan, the frontier and the choice on the held-out split (default true). */
  heldOut?: boolean;
  /** Most search plans evaluated beyond the sensitivity runs (default 64); later proposals are dropped. */
  maxEvaluations?: number;
  /** Told of each step (default: nobody); the recommender never prints. */
  onProgress?: (progress: RecommendProgress) => void;
}

function checkOptions(o: RecommendOptions): void {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options', 'expected an object');
  const n = o.model?.config?.numHiddenLayers;
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('model', 'expected a model with config.numHiddenLayers ≥ 1');
  if (typeof o.evaluate !== 'function')
    throw new InvalidArgumentError('evaluate', 'expected a function (plan, split) => { score }');
  for (const [name, v] of [
    ['batchSize', o.batchSize],
    ['sequenceLength', o.sequenceLength],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new InvalidArgumentError(name, `expected a positive integer, got ${String(v)}`);
  }
  const base = o.basePrecision ?? 'fp32';
  if (!isBasePrecision(base)) {
    throw new InvalidArgumentError('basePrecision', `expected fp32 or fp16, got ${String(base)}`);
  }
  for (const p of o.precisions ?? []) {
    // An fp16 base takes no fp32 layer either: GPU sessions run one float precision.
    if (!isLayerPrecision(p) || p === base || (base === 'fp16' && p === 'fp32')) {
      throw new InvalidArgumentError(
        'precisions',
        base === 'fp32'
          ? `expected layer precisions other than fp32, got ${String(p)}`
          : `expected quantized layer precisions (int8-full, int8-ffn, fp8) with an fp16 base, got ${String(p)}`,
      );
    }
  }
  for (const g of o.gemms ?? [])
    if (!isGemmName(g)) throw new InvalidArgumentError('gemms', `unknown GEMM ${String(g)}`);
  if (o.latencyRounds !== undefined && !(Number.isInteger(o.latencyRounds) && o.latencyRounds >= 1)) {
    throw new InvalidArgumentError(
      'latencyRounds',
      `expected a positive integer, got ${String(o.latencyRounds)}`,
    );
  }
}

function checkScore(s: PlanScore, plan: Candidate): PlanScore {
  if (typeof s !== 'object' || s === null || !(s.score >= 0 && s.score <= 1)) {
    throw new InvalidArgumentError(
      'evaluate',
      `returned ${JSON.stringify(s)} for plan ${describeCandidate(plan)}; expected { score } with score in [0, 1]`,
    );
  }
  return s;
}

/**
 * SAMP's accuracy-decay-aware recommendation, with a search beyond it: measures each layer's sensitivity
 * (every mode, and each GEMM with `gemms`), orders layers from least to most sensitive, scores the plans
 * that quantize the first k layers in each mode plus those of a greedy walk over the whole plan space on the
 * choose split, prices them with a latency model fitted to measured plans at the caller's shape (checked
 * against re-timed plans), and chooses by the constraint: the fastest plan within `maxAccuracyDrop`, the
 * most accurate within `maxLatencyMs`, or the knee of the frontier within the default drop. The choice,
 * the base plan and the frontier are then scored on the held-out split. Unquantized layers run at
 * `basePrecision` (fp32 by default; fp16 on GPUs), and drops are relative to the all-base plan. It never
 * imports a backend: the caller injects `evaluate` and `measureLatency`.
 * @example
 * const rec = await recommend({
 *   model, device: 'cpu', batchSize: 32, sequenceLength: 64,
 *   evaluate: createOutputsEvaluator({ outputs, labels }),
 *   measureLatency: async (plan) => timeRuns(plan),
 *   maxAccuracyDrop: 0.01,
 * });
 * await writePrecisionPlan('plan.json', toPrecisionPlan(rec, model));
 */
export async function recommend(options: RecommendOptions): Promise<Recommendation> {
  checkOptions(options);
  const rule = ruleOf(options);
  const numLayers = options.model.config.numHiddenLayers;
  const modes = [...new Set(options.precisions ?? (['int8-full', 'int8-ffn'] as const))];
  const gemms = [...new Set(options.gemms ?? [])];
  const metric = options.metric ?? 'accuracy';
  const progress = options.onProgress ?? (() => {});
  const basePrecision = options.basePrecision ?? 'fp32';
  const basePlan = uniformCandidate(numLayers, basePrecision);

  const scores = new Map<string, PlanScore>();
  let evaluations = 0;
  const evaluate = async (plan: Candidate): Promise<PlanScore> => {
    const key = candidateKey(plan);
    const known = scores.get(key);
    if (known !== undefined) return known;
    const s = checkScore(await options.evaluate(plan, 'choose'), plan);
    evaluations++;
    scores.set(key, s);
    return s;
  };

  progress({ phase: 'baseline', done: 0, total: 1, label: describeCandidate(basePlan) });
  const baseline = await evaluate(basePlan);
  progress({ phase: 'baseline', done: 1, total: 1, label: describeCandidate(basePlan) });

  // Sensitivity: each layer alone in each mode (and each GEMM alone in int8), the others at the base.
  const units = Array.from({ length: numLayers }, (_, layer) => [
    ...modes.map((precision) => ({ layer, plan: { precision } })),
    ...gemms.map((g) => ({ layer, plan: { precision: basePrecision, gemms: { [g]: 'int8' as const } } })),
  ]).flat();
  const sensitivity: SensitivityEntry[] = [];
  for (const [i, unit] of units.entries()) {
    const plan = basePlan.map((l, k) => (k === unit.layer ? unit.plan : l));
    const s = await evaluate(plan);
    const entry: SensitivityEntry = { layer: unit.layer, plan: unit.plan, score: s.score };
    if (s.drift !== undefined) entry.drift = s.drift;
    sensitivity.push(entry);
    progress({ phase: 'sensitivity', done: i + 1, total: units.length, label: describeCandidate(plan) });
  }

  // Latency: fit the model to plans measured at the caller's shape: the base, each mode on every layer and
  // on alternating layers, each GEMM alone (see latencyFitPlans), each the median of several rounds.
  const variant = options.latencyCache?.key?.variant ?? '';
  const cacheKey: LatencyCacheKey = {
    device: options.latencyCache?.key?.device ?? options.device,
    model: options.model.fingerprint,
    // Tables fitted with another base price other plans (fp16 layers cost 0): keep them apart.
    variant:
      basePrecision === 'fp32' ? variant : `${variant}${variant === '' ? '' : ', '}${basePrecision} base`,
  };
  const cache =
    options.latencyCache === undefined ? undefined : await readLatencyCache(options.latencyCache.file);
  const cached =
    cache === undefined
      ? undefined
      : findCacheEntry(cache, cacheKey, options.batchSize, options.sequenceLength);
  const measured = new Map<string, LatencyMeasurement>(
    (cached?.measurements ?? []).map((m) => [candidateKey(m.plan), { plan: m.plan, ms: m.ms }]),
  );
  const fitPlans = latencyFitPlans(numLayers, modes, gemms, basePrecision);
  const rounds = options.latencyRounds ?? DEFAULT_LATENCY_ROUNDS;
  // Only the fit rounds are cached: timings from rounds under other load would make the fit inconsistent.
  const fresh: LatencyMeasurement[] = [];
  let fitMeasurements: LatencyMeasurement[] = [];
  let latency: LatencyTable;
  if (options.latencyTable !== undefined) {
    latency = options.latencyTable;
  } else {
    const missing = fitPlans.filter((p) => !measured.has(candidateKey(p)));
    if (missing.length > 0 && options.measureLatency !== undefined) {
      progress({ phase: 'latency', done: 0, total: rounds });
      const times = await timeInRounds(options.measureLatency, missing, rounds, (done) =>
        progress({ phase: 'latency', done, total: rounds }),
      );
      for (const [i, plan] of missing.entries()) {
        measured.set(candidateKey(plan), { plan, ms: times[i] as number });
        fresh.push({ plan, ms: times[i] as number });
      }
    }
    const fitSet = fitPlans.map((p) => measured.get(candidateKey(p)));
    const shape = {
      numLayers,
      device: cacheKey.device,
      batchSize: options.batchSize,
      sequenceLength: options.sequenceLength,
      basePrecision,
    };
    if (fitSet.every((m) => m !== undefined)) {
      fitMeasurements = fitSet as LatencyMeasurement[];
      latency = fitLatencyTable(fitMeasurements, shape);
    } else {
      const others = cache === undefined ? [] : cachedTables(cache, cacheKey);
      if (others.length === 0) {
        throw new InvalidArgumentError(
          'measureLatency',
          `no latency measurer, latency table or cached measurements of ${cacheKey.device} for this model; cannot price plans`,
        );
      }
      latency = estimateLatencyTable(others, options.batchSize, options.sequenceLength);
    }
  }

  const excluded = [...(options.excluded ?? [])];
  const tables: MeasurementTables = {
    format: MEASUREMENT_TABLES_FORMAT,
    version: MEASUREMENT_TABLES_VERSION,
    model: { fingerprint: options.model.fingerprint, numHiddenLayers: numLayers },
    metric,
    baseline: { score: baseline.score },
    sensitivity,
    latency,
  };
  // fp32 tables leave the field out, so they stay what they were.
  if (basePrecision !== 'fp32') tables.basePrecision = basePrecision;
  if (gemms.length > 0) tables.gemms = gemms;
  if (excluded.length > 0) tables.excluded = excluded;

  // Search: propose, then evaluate every proposal for real on the choose split.
  const proposal = proposeCandidates(tables, {
    ...(options.greedy === undefined ? {} : { greedy: options.greedy }),
    ...(options.sensitivityMeasure === undefined ? {} : { sensitivityMeasure: options.sensitivityMeasure }),
  });
  let limit = options.maxEvaluations ?? 64;
  const toScore = proposal.plans.filter((p) => scores.has(candidateKey(p.plan)) || limit-- > 0);
  const plans: EvaluatedPlan[] = [];
  for (const [i, { plan, families }] of toScore.entries()) {
    const s = await evaluate(plan);
    const ms = predictLatency(latency, plan).ms;
    progress({ phase: 'search', done: i + 1, total: toScore.length, label: describeCandidate(plan) });
    if (ms === undefined) continue;
    const p: EvaluatedPlan = {
      plan,
      label: describeCandidate(plan),
      families,
      score: s.score,
      drop: baseline.score - s.score,
      scoreSource: 'evaluated',
      latencyMs: ms,
    };
    if (s.drift !== undefined) p.drift = s.drift;
    plans.push(p);
  }
  const baselinePlan = plans.find((p) => candidateKey(p.plan) === candidateKey(basePlan)) as EvaluatedPlan;
  const chosen = choosePlan(plans, rule, {
    metric,
    batchSize: options.batchSize,
    sequenceLength: options.sequenceLength,
    baseline: basePrecision,
  });
  const frontier = paretoFrontier(plans);

  // Verify: re-time the base plan (the round's load reference), the frontier, the choice and the middle
  // prefix plan of each mode (mixed plans the model was not fitted on), and compare with the predictions.
  const middle = plans.filter(
    (p) =>
      p.families.some((f) => f.startsWith('prefix:')) &&
      p.plan.filter((l) => !isBaseLayer(l, basePrecision)).length === Math.ceil(numLayers / 2),
  );
  const toCheck = [...new Set([baselinePlan, ...frontier, chosen.choice, ...middle])];
  const checkMeasurements: LatencyMeasurement[] = [];
  if (options.measureLatency !== undefined) {
    progress({ phase: 'verify', done: 0, total: rounds });
    const times = await timeInRounds(
      options.measureLatency,
      toCheck.map((p) => p.plan),
      rounds,
      (done) => progress({ phase: 'verify', done, total: rounds }),
    );
    toCheck.forEach((p, i) => {
      p.measuredLatencyMs = times[i] as number;
      checkMeasurements.push({ plan: p.plan, ms: p.measuredLatencyMs });
    });
  }

  // Held-out: the base plan, the frontier and the choice on data the choice never saw.
  let heldOutBaseline: number | undefined;
  if (options.heldOut !== false) {
    const list = [baselinePlan, ...toCheck.filter((p) => p !== baselinePlan)];
    for (const [i, p] of list.entries()) {
      const s = checkScore(await options.evaluate(p.plan, 'held-out'), p.plan);
      evaluations++;
      p.heldOutScore = s.score;
      if (i === 0) heldOutBaseline = s.score;
      p.heldOutDrop = (heldOutBaseline as number) - s.score;
      progress({ phase: 'held-out', done: i + 1, total: list.length, label: p.label });
    }
    if (heldOutBaseline !== undefined) tables.baseline.heldOutScore = heldOutBaseline;
  }

  if (cache !== undefined && options.latencyCache !== undefined && fresh.length > 0) {
    const fitted =
      options.latencyTable === undefined && latency.estimatedFrom === undefined ? latency : undefined;
    recordLatencies(cache, cacheKey, options.batchSize, options.sequenceLength, fresh, fitted);
    await writeLatencyCache(options.latencyCache.file, cache);
  }

  const recommendation: Recommendation = {
    metric,
    device: options.device,
    basePrecision,
    batchSize: options.batchSize,
    sequenceLength: options.sequenceLength,
    numLayers,
    baseline: { score: baseline.score },
    plans,
    frontier,
    choice: chosen.choice,
    rule,
    constraintMet: chosen.constraintMet,
    explanation: chosen.explanation,
    orders: Object.fromEntries(proposal.orders),
    sensitivityMeasure: proposal.measure,
    latencyChecks: checkLatencyTable(latency, checkMeasurements, checkMeasurements[0]),
    latencyFit: crossValidateLatency(fitMeasurements, {
      numLayers,
      device: latency.device,
      batchSize: options.batchSize,
      sequenceLength: options.sequenceLength,
      basePrecision,
    }),
    tables,
    excluded,
    evaluations,
  };
  if (heldOutBaseline !== undefined) recommendation.baseline.heldOutScore = heldOutBaseline;
  return recommendation;
}
