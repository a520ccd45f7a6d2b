import type { LayerPrecision } from '@samp/core';
import { candidateKey, uniformCandidate } from './candidate';
import type { LatencyTable, MeasurementTables } from './measurement-tables';
import { greedyPath, type ProposedPlan, prefixPlans } from './search';
import {
  createAccuracyPredictor,
  defaultSensitivityMeasure,
  type SensitivityMeasure,
  sensitivityOrder,
} from './sensitivity';

/** Options of {@link proposeCandidates}. */
export interface ProposeOptions {
  /** Also walk the whole plan space greedily (default true); false keeps SAMP's prefix plans only. */
  greedy?: boolean;
  /** What orders layers (default: drift when every sensitivity entry has it, else score). */
  sensitivityMeasure?: SensitivityMeasure;
  /** The latency table to search with (default `tables.latency`). */
  latency?: LatencyTable;
}

/** The plans worth scoring, and the layer orders they came from. */
export interface Proposal {
  plans: ProposedPlan[];
  orders: Map<LayerPrecision, number[]>;
  measure: SensitivityMeasure;
}

/**
 * The candidate plans for a model's measurements: SAMP's prefix plans per mode (and the `mixed` INT8
 * family), the plans of the greedy walk, and each single-layer sensitivity plan. Unquantized layers run at
 * the tables' base precision (`tables.basePrecision`, default fp32).
 */
export function proposeCandidates(tables: MeasurementTables, options: ProposeOptions = {}): Proposal {
  const numLayers = tables.model.numHiddenLayers;
  const base = tables.basePrecision ?? 'fp32';
  const measure = options.sensitivityMeasure ?? defaultSensitivityMeasure(tables.sensitivity);
  const modes = [
    ...new Set(tables.sensitivity.filter((e) => e.plan.gemms === undefined).map((e) => e.plan.precision)),
  ].filter((p) => p !== base);
  const orders = new Map(modes.map((m) => [m, sensitivityOrder(tables.sensitivity, m, numLayers, measure)]));
  // The all-base plan first, always: the baseline every drop is measured against.
  const plans: ProposedPlan[] = [{ plan: uniformCandidate(numLayers, base), families: ['baseline'] }];
  for (const p of prefixPlans(numLayers, orders, base)) {
    if (candidateKey(p.plan) === candidateKey(plans[0]?.plan ?? []))
      (plans[0] as ProposedPlan).families.push(...p.families);
    else plans.push(p);
  }
  const byKey = new Map(plans.map((p) => [candidateKey(p.plan), p]));
  const add = (plan: ProposedPlan['plan'], family: string) => {
    const key = candidateKey(plan);
    const existing = byKey.get(key);
    if (existing === undefined) {
      const entry = { plan, families: [family] };
      byKey.set(key, entry);
      plans.push(entry);
    } else if (!existing.families.includes(family)) existing.families.push(family);
  };
  if (options.greedy !== false) {
    const path = greedyPath({
      numLayers,
      modes,
      basePrecision: base,
      gemms: tables.gemms ?? [],
      predictAccuracy: createAccuracyPredictor(
        tables.baseline.score,
        tables.sensitivity,
        tables.gemms ?? [],
        base,
      ),
      latency: options.latency ?? tables.latency,
    });
    for (const plan of path) add(plan, 'greedy');
  }
  for (const e of tables.sensitivity) {
    add(
      Array.from({ length: numLayers }, (_, i) => (i === e.layer ? e.plan : { precision: base })),
      'single-layer',
    );
  }
  return { plans, orders, measure };
}
