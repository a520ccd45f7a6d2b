import { InvalidArgumentError } from '@samp/core';
import { describeCandidate } from './candidate';
import { choosePlan } from './choose';
import { paretoFrontier } from './frontier';
import { estimateLatencyTable, predictLatency } from './latency-model';
import type { LatencyTable, MeasurementTables } from './measurement-tables';
import { type ProposeOptions, proposeCandidates } from './propose-candidates';
import { type ConstraintOptions, ruleOf } from './recommend-rule';
import type { EvaluatedPlan, Recommendation } from './recommendation';
import { createAccuracyPredictor } from './sensitivity';

/** Options of {@link recommendFromTables}. */
export interface RecommendFromTablesOptions extends ConstraintOptions, Omit<ProposeOptions, 'latency'> {
  /**
   * The batch shape to recommend for (default: the latency table's). Another shape is estimated from
   * `latencyTables` (tables of the same model and device at other shapes, `tables.latency` included).
   */
  batchSize?: number;
  sequenceLength?: number;
  /** More latency tables of this model and device, at other shapes, for estimating unmeasured shapes. */
  latencyTables?: readonly LatencyTable[];
}

/**
 * Recommends a plan from measurement tables alone (no backend, no evaluation): every candidate's score is
 * predicted by adding up single-layer drops, its latency by the latency table. Unquantized layers run at
 * the tables' base precision (`tables.basePrecision`: fp32 when absent, fp16 for GPU tables), and drops
 * are relative to the all-base plan. Pure and synchronous.
 * @example
 * const tables = await readMeasurementTables('tnews-cpu-tables.json');
 * const rec = recommendFromTables(tables, { maxAccuracyDrop: 0.01 });
 * console.log(rec.choice.label, rec.choice.latencyMs);
 */
export function recommendFromTables(
  tables: MeasurementTables,
  options: RecommendFromTablesOptions = {},
): Recommendation {
  const rule = ruleOf(options);
  const batchSize = options.batchSize ?? tables.latency.batchSize;
  const sequenceLength = options.sequenceLength ?? tables.latency.sequenceLength;
  for (const [name, v] of [
    ['batchSize', batchSize],
    ['sequenceLength', sequenceLength],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new InvalidArgumentError(name, `expected a positive integer, got ${v}`);
  }
  const latency =
    batchSize === tables.latency.batchSize && sequenceLength === tables.latency.sequenceLength
      ? tables.latency
      : estimateLatencyTable([tables.latency, ...(options.latencyTables ?? [])], batchSize, sequenceLength);
  const basePrecision = tables.basePrecision ?? 'fp32';
  const proposal = proposeCandidates(tables, { ...options, latency });
  const predict = createAccuracyPredictor(
    tables.baseline.score,
    tables.sensitivity,
    tables.gemms ?? [],
    basePrecision,
  );
  const plans: EvaluatedPlan[] = [];
  for (const { plan, families } of proposal.plans) {
    const accuracy = predict(plan);
    const ms = predictLatency(latency, plan).ms;
    if (accuracy.missing !== undefined || ms === undefined) continue;
    const p: EvaluatedPlan = {
      plan,
      label: describeCandidate(plan),
      families,
      score: accuracy.score,
      drop: accuracy.drop,
      scoreSource: 'predicted',
      latencyMs: ms,
    };
    if (accuracy.drift !== undefined) p.drift = accuracy.drift;
    plans.push(p);
  }
  const metric = tables.metric;
  const chosen = choosePlan(plans, rule, { metric, batchSize, sequenceLength, baseline: basePrecision });
  return {
    metric,
    device: latency.device,
    basePrecision,
    batchSize,
    sequenceLength,
    numLayers: tables.model.numHiddenLayers,
    baseline: { ...tables.baseline },
    plans,
    frontier: paretoFrontier(plans),
    choice: chosen.choice,
    rule,
    constraintMet: chosen.constraintMet,
    explanation: chosen.explanation,
    orders: Object.fromEntries(proposal.orders),
    sensitivityMeasure: proposal.measure,
    latencyChecks: [],
    tables,
    excluded: [...(tables.excluded ?? [])],
    evaluations: 0,
  };
}
