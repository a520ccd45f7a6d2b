import {
  GEMM_NAMES,
  GEMM_PRECISIONS,
  type GemmName,
  type GemmPrecision,
  LAYER_PRECISIONS,
  type LayerPlan,
  type LayerPrecision,
} from '@samp/core';
import { BASE_PRECISIONS, type BasePrecision } from './candidate';

/** The `format` marker of a measurement-tables document. */
export const MEASUREMENT_TABLES_FORMAT = 'samp.recommender-tables';

/** The measurement-tables version this copy of the recommender reads and writes. */
export const MEASUREMENT_TABLES_VERSION = 1;

/** The quality of one layer (or one GEMM of it) quantized alone, every other layer at the base precision. */
export interface SensitivityEntry {
  /** The layer quantized alone. */
  layer: number;
  /** Its plan (a layer precision, or the base precision with per-GEMM overrides). */
  plan: LayerPlan;
  /** The plan's score on the choose split (accuracy or agreement, in [0, 1]). */
  score: number;
  /** The plan's output drift from the base plan (mean KL divergence), when measured. */
  drift?: number;
}

/**
 * Per-layer latency of each precision at one batch shape: a plan costs `fixedMs` plus, for each layer,
 * the entry of its precision (per-GEMM plans: the layer's base entry plus each overridden GEMM's entry).
 * Only sums matter, so a fitted table may keep the base layers' time in `fixedMs` with base entries 0.
 */
export interface LatencyTable {
  /** The device the numbers were measured on (`cpu:AMD EPYC (avx2)`, `cuda:NVIDIA H100…`). */
  device: string;
  batchSize: number;
  sequenceLength: number;
  fixedMs: number;
  /** Per layer: the milliseconds the layer adds at each precision. */
  layers: Partial<Record<LayerPrecision, number>>[];
  /** Per layer and GEMM: the milliseconds one GEMM adds at a precision over its base run (per-GEMM plans). */
  gemms?: Partial<Record<GemmName, Partial<Record<GemmPrecision, number>>>>[];
  /** Set when the table was estimated for this shape from tables measured at these other shapes. */
  estimatedFrom?: { batchSize: number; sequenceLength: number }[];
}

/** A precision the search left out, and why (the backend cannot run it, …). */
export interface ExcludedPrecision {
  precision: string;
  reason: string;
}

/**
 * Everything {@link recommendFromTables} needs, as plain JSON: per-layer sensitivity per precision and
 * per-layer latency per precision at one shape. `recommend()` returns one for the model it measured.
 */
export interface MeasurementTables {
  format: typeof MEASUREMENT_TABLES_FORMAT;
  version: typeof MEASUREMENT_TABLES_VERSION;
  model: { fingerprint: string; numHiddenLayers: number };
  /** What `score` means: `accuracy` (labelled data) or `agreement` (with the base plan, label-free). */
  metric: string;
  /**
   * The float precision of the unquantized layers; every drop is relative to the all-base plan. Absent
   * means `fp32` (and `fp32` tables leave it out, so they read as before).
   */
  basePrecision?: BasePrecision;
  /** The all-base plan's score on the choose split, and on the held-out split when it was measured. */
  baseline: { score: number; heldOutScore?: number };
  sensitivity: SensitivityEntry[];
  latency: LatencyTable;
  /** The GEMMs a per-GEMM search may set one by one (absent: layer precisions only). */
  gemms?: GemmName[];
  excluded?: ExcludedPrecision[];
}

/** Throws for a field of a document: `(path, problem) => never`. */
export type FailFn = (path: string, problem: string) => never;

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : JSON.stringify(v));

function object(fail: FailFn, v: unknown, path: string, keys?: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(path, `expected an object, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  if (keys !== undefined) {
    for (const k of Object.keys(o)) {
      if (!keys.includes(k))
        fail(path === '' ? k : `${path}.${k}`, `unknown field (expected one of ${keys.join(', ')})`);
    }
  }
  return o;
}

function num(
  fail: FailFn,
  v: unknown,
  path: string,
  opts: { min?: number; max?: number; integer?: boolean } = {},
) {
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail(path, `expected a finite number, got ${describe(v)}`);
  const n = v as number;
  if (opts.integer === true && !Number.isInteger(n)) fail(path, `expected an integer, got ${n}`);
  if (opts.min !== undefined && n < opts.min) fail(path, `expected at least ${opts.min}, got ${n}`);
  if (opts.max !== undefined && n > opts.max) fail(path, `expected at most ${opts.max}, got ${n}`);
  return n;
}

function str(fail: FailFn, v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') fail(path, `expected a non-empty string, got ${describe(v)}`);
  return v as string;
}

function array(fail: FailFn, v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, `expected an array, got ${describe(v)}`);
  return v as unknown[];
}

function oneOf<T extends string>(fail: FailFn, v: unknown, path: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(path, `expected one of ${allowed.join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

/** Reads a `LayerPlan` (`{precision, gemms?}`) at `path`. */
export function readLayerPlan(fail: FailFn, v: unknown, path: string): LayerPlan {
  const o = object(fail, v, path, ['precision', 'gemms']);
  const plan: LayerPlan = { precision: oneOf(fail, o.precision, `${path}.precision`, LAYER_PRECISIONS) };
  if (o.gemms !== undefined) {
    const g = object(fail, o.gemms, `${path}.gemms`, GEMM_NAMES);
    const gemms: Partial<Record<GemmName, GemmPrecision>> = {};
    for (const name of GEMM_NAMES) {
      if (g[name] !== undefined) gemms[name] = oneOf(fail, g[name], `${path}.gemms.${name}`, GEMM_PRECISIONS);
    }
    plan.gemms = gemms;
  }
  return plan;
}

/** Reads a {@link LatencyTable} at `path` with `numLayers` layers (any count when undefined). */
export function readLatencyTable(fail: FailFn, v: unknown, path: string, numLayers?: number): LatencyTable {
  const at = (k: string) => (path === '' ? k : `${path}.${k}`);
  const o = object(fail, v, path, [
    'device',
    'batchSize',
    'sequenceLength',
    'fixedMs',
    'layers',
    'gemms',
    'estimatedFrom',
  ]);
  const layers = array(fail, o.layers, at('layers')).map((l, i) => {
    const e = object(fail, l, `${at('layers')}[${i}]`, LAYER_PRECISIONS);
    const out: Partial<Record<LayerPrecision, number>> = {};
    for (const p of LAYER_PRECISIONS)
      if (e[p] !== undefined) out[p] = num(fail, e[p], `${at('layers')}[${i}].${p}`);
    return out;
  });
  if (numLayers !== undefined && layers.length !== numLayers) {
    fail(at('layers'), `expected ${numLayers} layers (model.numHiddenLayers), got ${layers.length}`);
  }
  const table: LatencyTable = {
    device: str(fail, o.device, at('device')),
    batchSize: num(fail, o.batchSize, at('batchSize'), { integer: true, min: 1 }),
    sequenceLength: num(fail, o.sequenceLength, at('sequenceLength'), { integer: true, min: 1 }),
    fixedMs: num(fail, o.fixedMs, at('fixedMs')),
    layers,
  };
  if (o.gemms !== undefined) {
    const gemms = array(fail, o.gemms, at('gemms'));
    if (gemms.length !== layers.length)
      fail(at('gemms'), `expected ${layers.length} entries (one per layer), got ${gemms.length}`);
    table.gemms = gemms.map((g, i) => {
      const gp = `${at('gemms')}[${i}]`;
      const e = object(fail, g, gp, GEMM_NAMES);
      const out: Partial<Record<GemmName, Partial<Record<GemmPrecision, number>>>> = {};
      for (const name of GEMM_NAMES) {
        if (e[name] === undefined) continue;
        const byP = object(fail, e[name], `${gp}.${name}`, GEMM_PRECISIONS);
        const inner: Partial<Record<GemmPrecision, number>> = {};
        for (const p of GEMM_PRECISIONS)
          if (byP[p] !== undefined) inner[p] = num(fail, byP[p], `${gp}.${name}.${p}`);
        out[name] = inner;
      }
      return out;
    });
  }
  if (o.estimatedFrom !== undefined) {
    table.estimatedFrom = array(fail, o.estimatedFrom, at('estimatedFrom')).map((s, i) => {
      const e = object(fail, s, `${at('estimatedFrom')}[${i}]`, ['batchSize', 'sequenceLength']);
      return {
        batchSize: num(fail, e.batchSize, `${at('estimatedFrom')}[${i}].batchSize`, {
          integer: true,
          min: 1,
        }),
        sequenceLength: num(fail, e.sequenceLength, `${at('estimatedFrom')}[${i}].sequenceLength`, {
          integer: true,
          min: 1,
        }),
      };
    });
  }
  return table;
}

/**
 * Validates a parsed measurement-tables document and returns a clean copy.
 * @param source where the document came from, for errors.
 * @throws InvalidTablesError (via `fail`) naming the field and what was expected.
 */
export function parseMeasurementTablesWith(json: unknown, fail: FailFn): MeasurementTables {
  const doc = object(fail, json, '', [
    'format',
    'version',
    'model',
    'metric',
    'basePrecision',
    'baseline',
    'sensitivity',
    'latency',
    'gemms',
    'excluded',
  ]);
  if (doc.format !== MEASUREMENT_TABLES_FORMAT) {
    fail(
      'format',
      `expected ${JSON.stringify(MEASUREMENT_TABLES_FORMAT)} (is this a measurement table?), got ${describe(doc.format)}`,
    );
  }
  if (doc.version !== MEASUREMENT_TABLES_VERSION) {
    fail(
      'version',
      `expected ${MEASUREMENT_TABLES_VERSION} (the version this recommender reads), got ${describe(doc.version)}`,
    );
  }
  const m = object(fail, doc.model, 'model', ['fingerprint', 'numHiddenLayers']);
  const numLayers = num(fail, m.numHiddenLayers, 'model.numHiddenLayers', { integer: true, min: 1 });
  const b = object(fail, doc.baseline, 'baseline', ['score', 'heldOutScore']);
  const baseline: MeasurementTables['baseline'] = {
    score: num(fail, b.score, 'baseline.score', { min: 0, max: 1 }),
  };
  if (b.heldOutScore !== undefined) {
    baseline.heldOutScore = num(fail, b.heldOutScore, 'baseline.heldOutScore', { min: 0, max: 1 });
  }
  const sensitivity = array(fail, doc.sensitivity, 'sensitivity').map((s, i): SensitivityEntry => {
    const p = `sensitivity[${i}]`;
    const e = object(fail, s, p, ['layer', 'plan', 'score', 'drift']);
    const entry: SensitivityEntry = {
      layer: num(fail, e.layer, `${p}.layer`, { integer: true, min: 0, max: numLayers - 1 }),
      plan: readLayerPlan(fail, e.plan, `${p}.plan`),
      score: num(fail, e.score, `${p}.score`, { min: 0, max: 1 }),
    };
    if (e.drift !== undefined) entry.drift = num(fail, e.drift, `${p}.drift`, { min: 0 });
    return entry;
  });
  const tables: MeasurementTables = {
    format: MEASUREMENT_TABLES_FORMAT,
    version: MEASUREMENT_TABLES_VERSION,
    model: { fingerprint: str(fail, m.fingerprint, 'model.fingerprint'), numHiddenLayers: numLayers },
    metric: str(fail, doc.metric, 'metric'),
    baseline,
    sensitivity,
    latency: readLatencyTable(fail, doc.latency, 'latency', numLayers),
  };
  if (doc.basePrecision !== undefined) {
    const base = oneOf(fail, doc.basePrecision, 'basePrecision', BASE_PRECISIONS);
    // fp32 is the default: left out, so a table reads the same whether or not it was spelled.
    if (base !== 'fp32') tables.basePrecision = base;
  }
  if (tables.basePrecision === 'fp16') {
    // An fp16-based search never mixes in fp32 (a GPU session runs one float precision).
    sensitivity.forEach((e, i) => {
      const at = `sensitivity[${i}].plan`;
      if (e.plan.precision === 'fp32') fail(`${at}.precision`, 'expected no fp32 layer in fp16-based tables');
      for (const [g, p] of Object.entries(e.plan.gemms ?? {})) {
        if (p === 'fp32') fail(`${at}.gemms.${g}`, 'expected no fp32 GEMM in fp16-based tables');
      }
    });
  }
  if (doc.gemms !== undefined) {
    tables.gemms = array(fail, doc.gemms, 'gemms').map((g, i) => oneOf(fail, g, `gemms[${i}]`, GEMM_NAMES));
  }
  if (doc.excluded !== undefined) {
    tables.excluded = array(fail, doc.excluded, 'excluded').map((x, i) => {
      const e = object(fail, x, `excluded[${i}]`, ['precision', 'reason']);
      return {
        precision: str(fail, e.precision, `excluded[${i}].precision`),
        reason: str(fail, e.reason, `excluded[${i}].reason`),
      };
    });
  }
  return tables;
}
