import { GEMM_NAMES, type GemmName, type GemmPrecision, type LayerPrecision } from '@samp/core';
import { type BasePrecision, type Candidate, describeCandidate } from './candidate';
import { leastSquares } from './least-squares';
import type { LatencyTable } from './measurement-tables';

/** A plan's measured latency. */
export interface LatencyMeasurement {
  plan: Candidate;
  ms: number;
}

/** A prediction, or why there is none (the table lacks an entry the plan needs). */
export type LatencyPrediction = { ms: number; missing?: undefined } | { ms?: undefined; missing: string };

/**
 * Predicts a plan's latency from a table: `fixedMs` plus, per layer, the entry of its precision and, for
 * per-GEMM overrides, the entry of each overridden GEMM.
 * @example
 * predictLatency(table, [{ precision: 'int8-full' }, { precision: 'fp32' }]).ms; // 3.1
 */
export function predictLatency(table: LatencyTable, plan: Candidate): LatencyPrediction {
  let ms = table.fixedMs;
  for (let i = 0; i < plan.length; i++) {
    const layer = plan[i];
    const costs = table.layers[i];
    if (layer === undefined || costs === undefined)
      return { missing: `layer ${i} is not in the latency table` };
    const base = costs[layer.precision];
    if (base === undefined) return { missing: `layers[${i}].${layer.precision}` };
    ms += base;
    for (const g of GEMM_NAMES) {
      const p = layer.gemms?.[g];
      if (p === undefined) continue;
      const extra = table.gemms?.[i]?.[g]?.[p];
      if (extra === undefined) return { missing: `gemms[${i}].${g}.${p}` };
      ms += extra;
    }
  }
  return { ms };
}

type Feature = `layer:${LayerPrecision}` | `gemm:${GemmName}:${GemmPrecision}`;

/** The plan's features: each non-base layer precision's count and each GEMM override's (base layers are free). */
function featuresOf(plan: Candidate, base: BasePrecision): Map<Feature, number> {
  const counts = new Map<Feature, number>();
  const add = (f: Feature) => counts.set(f, (counts.get(f) ?? 0) + 1);
  for (const layer of plan) {
    if (layer.precision !== base) add(`layer:${layer.precision}`);
    for (const g of GEMM_NAMES) {
      const p = layer.gemms?.[g];
      if (p !== undefined) add(`gemm:${g}:${p}`);
    }
  }
  return counts;
}

/**
 * Whether `measurements` determine a plan's prediction: its features (the constant, each precision's
 * layer count, each GEMM override's count) are a combination of the measured plans' features. When they
 * are not, least squares still returns a table, but its price for the plan is arbitrary.
 * @param base the precision whose layers cost 0 (default `fp32`).
 * @internal
 */
export function determinesPlan(
  measurements: readonly LatencyMeasurement[],
  plan: Candidate,
  base: BasePrecision = 'fp32',
): boolean {
  const target = featuresOf(plan, base);
  const perPlan = measurements.map((m) => featuresOf(m.plan, base));
  const features = [...new Set([...target.keys(), ...perPlan.flatMap((c) => [...c.keys()])])];
  // One row per feature (constant first), one column per measured plan: is the target in their span?
  const rows = [perPlan.map(() => 1), ...features.map((f) => perPlan.map((c) => c.get(f) ?? 0))];
  const want = [1, ...features.map((f) => target.get(f) ?? 0)];
  if (perPlan.length === 0) return false;
  const alpha = leastSquares(rows, want);
  const scale = Math.max(1, ...want.map(Math.abs));
  return rows.every((row, i) => {
    const got = row.reduce((s, x, j) => s + x * (alpha[j] as number), 0);
    return Math.abs(got - (want[i] as number)) <= 1e-6 * scale;
  });
}

/** Options of {@link fitLatencyTable}. */
export interface FitLatencyOptions {
  numLayers: number;
  device: string;
  batchSize: number;
  sequenceLength: number;
  /** The precision of the unquantized layers, which cost 0 (default `fp32`). */
  basePrecision?: BasePrecision;
}

/**
 * Fits a {@link LatencyTable} to measured plans: latency = fixed + Σ per-layer cost of each layer's
 * precision (+ each per-GEMM override's cost), least squares. The layers of a BERT-family encoder have one
 * shape, so a precision costs the same on every layer; plan variation cannot separate the base layers' time
 * from the fixed part, so base layers (fp32, or fp16 with `basePrecision: 'fp16'`) cost 0 and `fixedMs` is
 * the all-base latency.
 * @example
 * const table = fitLatencyTable(measurements, { numLayers: 4, device: 'cpu', batchSize: 32, sequenceLength: 64 });
 */
export function fitLatencyTable(
  measurements: readonly LatencyMeasurement[],
  options: FitLatencyOptions,
): LatencyTable {
  const base = options.basePrecision ?? 'fp32';
  const features: Feature[] = [];
  const perPlan = measurements.map((m) => featuresOf(m.plan, base));
  for (const counts of perPlan) for (const f of counts.keys()) if (!features.includes(f)) features.push(f);
  const rows = perPlan.map((counts) => [1, ...features.map((f) => counts.get(f) ?? 0)]);
  const w = leastSquares(
    rows,
    measurements.map((m) => m.ms),
  );
  const weight = (f: Feature) => w[1 + features.indexOf(f)] as number;
  const layerCosts: Partial<Record<LayerPrecision, number>> = { [base]: 0 };
  const gemmCosts: Partial<Record<GemmName, Partial<Record<GemmPrecision, number>>>> = {};
  for (const f of features) {
    const parts = f.split(':');
    if (parts[0] === 'layer') layerCosts[parts[1] as LayerPrecision] = weight(f);
    else {
      const g = parts[1] as GemmName;
      gemmCosts[g] = { ...gemmCosts[g], [parts[2] as GemmPrecision]: weight(f) };
    }
  }
  const table: LatencyTable = {
    device: options.device,
    batchSize: options.batchSize,
    sequenceLength: options.sequenceLength,
    fixedMs: w[0] as number,
    layers: Array.from({ length: options.numLayers }, () => ({ ...layerCosts })),
  };
  if (Object.keys(gemmCosts).length > 0) {
    table.gemms = Array.from({ length: options.numLayers }, () => structuredClone(gemmCosts));
  }
  return table;
}

/** One check of the latency model against a measurement. */
export interface LatencyCheck {
  label: string;
  predictedMs: number;
  measuredMs: number;
  /** (predicted − measured) / measured × 100. */
  errorPct: number;
  /**
   * The error once the prediction is scaled by how much slower or faster the reference plan ran in the
   * same round than predicted: on a shared machine, the load that changed since the model was fitted.
   */
  loadAdjustedErrorPct?: number;
}

/**
 * Compares a table's predictions with measured plans (plans the table cannot price are skipped).
 * @param reference a plan timed in the same round as `measured` (all-base, say), to also report errors
 *   with the round's common load factor taken out.
 */
export function checkLatencyTable(
  table: LatencyTable,
  measured: readonly LatencyMeasurement[],
  reference?: LatencyMeasurement,
): LatencyCheck[] {
  const refPredicted = reference === undefined ? undefined : predictLatency(table, reference.plan).ms;
  const factor =
    reference === undefined || refPredicted === undefined ? undefined : reference.ms / refPredicted;
  const checks: LatencyCheck[] = [];
  for (const m of measured) {
    const p = predictLatency(table, m.plan);
    if (p.ms === undefined) continue;
    const check: LatencyCheck = {
      label: describeCandidate(m.plan),
      predictedMs: p.ms,
      measuredMs: m.ms,
      errorPct: ((p.ms - m.ms) / m.ms) * 100,
    };
    if (factor !== undefined) check.loadAdjustedErrorPct = ((p.ms * factor - m.ms) / m.ms) * 100;
    checks.push(check);
  }
  return checks;
}

/** Every number of a table, by a path that is the same for tables of one model at any shape. */
function entries(table: LatencyTable): Map<string, number> {
  const out = new Map<string, number>([['fixedMs', table.fixedMs]]);
  table.layers.forEach((l, i) => {
    for (const [p, v] of Object.entries(l)) out.set(`layers.${i}.${p}`, v as number);
  });
  table.gemms?.forEach((l, i) => {
    for (const [g, byP] of Object.entries(l))
      for (const [p, v] of Object.entries(byP ?? {})) out.set(`gemms.${i}.${g}.${p}`, v as number);
  });
  return out;
}

/**
 * Estimates a latency table at a shape that was not measured from tables of the same model and device
 * measured at other shapes: each entry is fitted as a·B·S + c·B·S² (linear work per token plus attention,
 * quadratic in the sequence) over the measured shapes, or scaled by B·S from a single shape or when every
 * shape has one sequence length. The result lists the shapes it came from in `estimatedFrom`.
 * @param measured tables of one model on one device (at least one).
 */
export function estimateLatencyTable(
  measured: readonly LatencyTable[],
  batchSize: number,
  sequenceLength: number,
): LatencyTable {
  const first = measured[0];
  if (first === undefined) throw new RangeError('estimateLatencyTable needs at least one measured table');
  const exact = measured.find((t) => t.batchSize === batchSize && t.sequenceLength === sequenceLength);
  if (exact !== undefined) return exact;
  const all = measured.map(entries);
  const keys = [...(all[0] as Map<string, number>).keys()].filter((k) => all.every((e) => e.has(k)));
  const lengths = new Set(measured.map((t) => t.sequenceLength));
  const tokens = batchSize * sequenceLength;
  const estimate = (key: string): number => {
    if (lengths.size < 2) {
      // One sequence length: scale by the tokens of the nearest measured shape.
      let best = first;
      for (const t of measured) {
        if (
          Math.abs(t.batchSize * t.sequenceLength - tokens) <
          Math.abs(best.batchSize * best.sequenceLength - tokens)
        )
          best = t;
      }
      const v = entries(best).get(key) as number;
      return (v * tokens) / (best.batchSize * best.sequenceLength);
    }
    const rows = measured.map((t) => [
      t.batchSize * t.sequenceLength,
      t.batchSize * t.sequenceLength * t.sequenceLength,
    ]);
    const [a, c] = leastSquares(
      rows,
      all.map((e) => e.get(key) as number),
    ) as [number, number];
    return a * tokens + c * tokens * sequenceLength;
  };
  const table: LatencyTable = {
    device: first.device,
    batchSize,
    sequenceLength,
    fixedMs: estimate('fixedMs'),
    layers: first.layers.map(() => ({})),
    estimatedFrom: measured.map((t) => ({ batchSize: t.batchSize, sequenceLength: t.sequenceLength })),
  };
  for (const key of keys) {
    const parts = key.split('.');
    if (parts[0] === 'layers') {
      (table.layers[Number(parts[1])] as Record<string, number>)[parts[2] as string] = estimate(key);
    } else if (parts[0] === 'gemms') {
      table.gemms ??= first.layers.map(() => ({}));
      const layer = table.gemms[Number(parts[1])] as Record<string, Record<string, number>>;
      layer[parts[2] as string] = { ...layer[parts[2] as string], [parts[3] as string]: estimate(key) };
    }
  }
  return table;
}
