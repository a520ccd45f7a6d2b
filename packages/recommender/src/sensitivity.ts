import { GEMM_NAMES, type GemmName, type LayerPlan, type LayerPrecision } from '@samp/core';
import { type BasePrecision, type Candidate, candidateKey, int8GemmsOf, isBaseLayer } from './candidate';
import type { SensitivityEntry } from './measurement-tables';

/** What orders layers from least to most sensitive: output drift (KL from the base plan) or the score drop. */
export type SensitivityMeasure = 'drift' | 'score';

/** `drift` when every entry has one (it separates layers that a few hundred examples' accuracy cannot), else `score`. */
export function defaultSensitivityMeasure(entries: readonly SensitivityEntry[]): SensitivityMeasure {
  return entries.length > 0 && entries.every((e) => e.drift !== undefined) ? 'drift' : 'score';
}

/**
 * The layers ordered from least to most sensitive to `precision` (each quantized alone): by `measure`,
 * ties broken by the other measure, then by layer index. Layers without an entry for `precision` go last.
 * @example
 * sensitivityOrder(entries, 'int8-full', 'drift'); // [3, 2, 0, 1]
 */
export function sensitivityOrder(
  entries: readonly SensitivityEntry[],
  precision: LayerPrecision,
  numLayers: number,
  measure: SensitivityMeasure,
): number[] {
  const of = (layer: number) =>
    entries.find((e) => e.layer === layer && e.plan.precision === precision && e.plan.gemms === undefined);
  const key = (e: SensitivityEntry | undefined): [number, number] => {
    if (e === undefined) return [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
    const drift = e.drift ?? 0;
    return measure === 'drift' ? [drift, -e.score] : [-e.score, drift];
  };
  return Array.from({ length: numLayers }, (_, i) => i).sort((a, b) => {
    const [a1, a2] = key(of(a));
    const [b1, b2] = key(of(b));
    return a1 - b1 || a2 - b2 || a - b;
  });
}

/** A predicted score and drift, or why there is none. */
export type AccuracyPrediction =
  | { score: number; drop: number; drift: number | undefined; missing?: undefined }
  | { missing: string; score?: undefined };

/**
 * Predicts plans' scores from single-layer sensitivities, assuming the drops (and drifts) of layers add
 * up: score = baseline − Σ per-layer drop. A layer plan without its own entry (a per-GEMM subset) adds
 * up the entries of its int8 GEMMs quantized alone.
 * @param searchable the GEMMs per-GEMM entries exist for (to decompose layer modes when needed).
 * @param base the precision of the unquantized layers, which drop nothing (default `fp32`).
 */
export function createAccuracyPredictor(
  baselineScore: number,
  entries: readonly SensitivityEntry[],
  searchable: readonly GemmName[] = [],
  base: BasePrecision = 'fp32',
): (plan: Candidate) => AccuracyPrediction {
  const byKey = new Map(entries.map((e) => [`${e.layer}:${candidateKey([e.plan])}`, e]));
  const unit = (layer: number, plan: LayerPlan): { drop: number; drift: number | undefined } | string => {
    if (isBaseLayer(plan, base)) return { drop: 0, drift: 0 };
    const direct = byKey.get(`${layer}:${candidateKey([plan])}`);
    if (direct !== undefined) return { drop: baselineScore - direct.score, drift: direct.drift };
    if (searchable.length === 0) return `layer ${layer} at ${candidateKey([plan])} has no sensitivity entry`;
    const gemms = int8GemmsOf(plan, searchable);
    // Only int8 GEMM subsets decompose; anything else needs its own entry.
    const other = GEMM_NAMES.some((g) => plan.gemms?.[g] !== undefined && plan.gemms[g] !== 'int8');
    if (
      other ||
      (plan.precision !== base && plan.precision !== 'int8-full' && plan.precision !== 'int8-ffn')
    ) {
      return `layer ${layer} at ${candidateKey([plan])} has no sensitivity entry`;
    }
    let drop = 0;
    let drift: number | undefined = 0;
    for (const g of gemms) {
      const e = byKey.get(`${layer}:${candidateKey([{ precision: base, gemms: { [g]: 'int8' } }])}`);
      if (e === undefined) return `layer ${layer} GEMM ${g} in int8 has no sensitivity entry`;
      drop += baselineScore - e.score;
      drift = drift === undefined || e.drift === undefined ? undefined : drift + e.drift;
    }
    return { drop, drift };
  };
  return (plan) => {
    let drop = 0;
    let drift: number | undefined = 0;
    for (let i = 0; i < plan.length; i++) {
      const u = unit(i, plan[i] as LayerPlan);
      if (typeof u === 'string') return { missing: u };
      // A single layer that scores above the base is noise, not a gain to bank on for other layers.
      drop += Math.max(0, u.drop);
      drift = drift === undefined || u.drift === undefined ? undefined : drift + u.drift;
    }
    return { score: baselineScore - drop, drop, drift };
  };
}
