import type { GemmName, LayerPlan, LayerPrecision } from '@samp/core';
import {
  type BasePrecision,
  type Candidate,
  candidateKey,
  layerWithInt8Gemms,
  uniformCandidate,
  withLayer,
} from './candidate';
import { predictLatency } from './latency-model';
import type { LatencyTable } from './measurement-tables';
import type { AccuracyPrediction } from './sensitivity';

/** A candidate and the search families that proposed it (`prefix:int8-full`, `mixed`, `greedy`). */
export interface ProposedPlan {
  plan: Candidate;
  families: string[];
}

/** Adds `plan` under `family`, merging duplicates. */
function propose(into: Map<string, ProposedPlan>, plan: Candidate, family: string): void {
  const key = candidateKey(plan);
  const existing = into.get(key);
  if (existing === undefined) into.set(key, { plan, families: [family] });
  else if (!existing.families.includes(family)) existing.families.push(family);
}

/**
 * SAMP's accuracy-decay-aware plans: for each mode, the plans that run the first k layers of that mode's
 * sensitivity order (least sensitive first) in the mode and the rest at the base precision, k = 0…L. With
 * both INT8 modes, also the `mixed` family: every layer int8-ffn, the first k of the int8-full order
 * upgraded to int8-full.
 * @param orders each mode's layer order, least sensitive first.
 * @param base the precision of the layers not quantized (default `fp32`).
 */
export function prefixPlans(
  numLayers: number,
  orders: ReadonlyMap<LayerPrecision, readonly number[]>,
  base: BasePrecision = 'fp32',
): ProposedPlan[] {
  const out = new Map<string, ProposedPlan>();
  for (const [mode, order] of orders) {
    let plan = uniformCandidate(numLayers, base);
    propose(out, plan, `prefix:${mode}`);
    for (const layer of order) {
      plan = withLayer(plan, layer, { precision: mode });
      propose(out, plan, `prefix:${mode}`);
    }
  }
  const full = orders.get('int8-full');
  if (full !== undefined && orders.has('int8-ffn')) {
    let plan = uniformCandidate(numLayers, 'int8-ffn');
    propose(out, plan, 'mixed');
    for (const layer of full) {
      plan = withLayer(plan, layer, { precision: 'int8-full' });
      propose(out, plan, 'mixed');
    }
  }
  return [...out.values()];
}

/** Options of {@link greedyPath}. */
export interface GreedyOptions {
  numLayers: number;
  /** Runnable layer precisions besides the base. */
  modes: readonly LayerPrecision[];
  /** The precision the walk starts from and layers may return to (default `fp32`). */
  basePrecision?: BasePrecision;
  /** GEMMs to set one by one (per-GEMM search); empty for layer precisions only. */
  gemms: readonly GemmName[];
  predictAccuracy: (plan: Candidate) => AccuracyPrediction;
  latency: LatencyTable;
}

/** Every subset of `items`. */
function subsets<T>(items: readonly T[]): T[][] {
  const all: T[][] = [[]];
  for (const item of items) {
    const count = all.length;
    for (let i = 0; i < count; i++) all.push([...(all[i] as T[]), item]);
  }
  return all;
}

/**
 * A greedy walk over the whole plan space (not only prefixes): from the all-base plan (all-fp32 by
 * default), repeatedly make the one-layer change (to another layer precision, or another set of int8 GEMMs)
 * that costs the least predicted accuracy — drift when known, else score drop — per millisecond of
 * predicted latency saved, until no change saves time. Returns every plan on the way, the base first.
 */
export function greedyPath(options: GreedyOptions): Candidate[] {
  const { numLayers, predictAccuracy, latency } = options;
  const base = options.basePrecision ?? 'fp32';
  const layerOptions: LayerPlan[] = [
    { precision: base },
    ...options.modes.map((precision) => ({ precision })),
  ];
  if (options.gemms.length > 0) {
    for (const s of subsets(options.gemms))
      layerOptions.push(layerWithInt8Gemms(new Set(s), options.gemms, base));
  }
  const unique = new Map(layerOptions.map((l) => [candidateKey([l]), l]));
  const cost = (p: AccuracyPrediction) => (p.missing !== undefined ? undefined : (p.drift ?? p.drop));
  let current = uniformCandidate(numLayers, base);
  const path: Candidate[] = [current];
  for (;;) {
    const curMs = predictLatency(latency, current).ms;
    const curCost = cost(predictAccuracy(current));
    if (curMs === undefined || curCost === undefined) break;
    let best: { plan: Candidate; ratio: number; saved: number } | undefined;
    for (let i = 0; i < numLayers; i++) {
      for (const option of unique.values()) {
        const next = withLayer(current, i, option);
        const ms = predictLatency(latency, next).ms;
        const c = cost(predictAccuracy(next));
        if (ms === undefined || c === undefined) continue;
        const saved = curMs - ms;
        if (!(saved > 1e-9)) continue;
        const ratio = Math.max(0, c - curCost) / saved;
        if (
          best === undefined ||
          ratio < best.ratio - 1e-15 ||
          (Math.abs(ratio - best.ratio) <= 1e-15 && saved > best.saved)
        ) {
          best = { plan: next, ratio, saved };
        }
      }
    }
    if (best === undefined) break;
    current = best.plan;
    path.push(current);
  }
  return path;
}
