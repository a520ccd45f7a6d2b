import type { BasePrecision, Candidate } from './candidate';
import type { LatencyCheck } from './latency-model';
import type { ExcludedPrecision, MeasurementTables } from './measurement-tables';

/** A plan the recommender scored, with where its numbers came from. */
export interface EvaluatedPlan {
  plan: Candidate;
  /** Its compact label (see `describeCandidate`). */
  label: string;
  /** The search families that proposed it: `prefix:<mode>`, `mixed`, `greedy`, `single-layer`. */
  families: string[];
  /** Score on the choose split (accuracy or agreement, in [0, 1]). */
  score: number;
  /** The base plan's score minus this plan's (positive means worse). */
  drop: number;
  drift?: number;
  /** `evaluated`: really run on the choose split; `predicted`: from the sensitivity tables. */
  scoreSource: 'evaluated' | 'predicted';
  /** Predicted latency at the recommendation's shape (ms). */
  latencyMs: number;
  /** Measured latency, for the plans that were timed to check the latency model. */
  measuredLatencyMs?: number;
  /** Score and drop on the held-out split, for the plans evaluated there. */
  heldOutScore?: number;
  heldOutDrop?: number;
}

/** The constraint a recommendation was made under. */
export type RecommendationRule =
  | { kind: 'max-accuracy-drop'; maxDrop: number }
  | { kind: 'max-latency'; maxLatencyMs: number }
  | { kind: 'default'; maxDrop: number };

/** The outcome of `recommend()` / `recommendFromTables()`. */
export interface Recommendation {
  /** What scores mean: `accuracy` or `agreement` (with the base plan, label-free). */
  metric: string;
  device: string;
  /**
   * The float precision of the unquantized layers: the baseline is the all-`basePrecision` plan and every
   * drop is relative to it (on GPUs fp16, itself within 3e-3 of fp32).
   */
  basePrecision: BasePrecision;
  batchSize: number;
  sequenceLength: number;
  numLayers: number;
  baseline: { score: number; heldOutScore?: number };
  /** Every plan scored, the base plan first. */
  plans: EvaluatedPlan[];
  /** The Pareto frontier of `plans` (predicted latency vs choose-split score), fastest first. */
  frontier: EvaluatedPlan[];
  choice: EvaluatedPlan;
  rule: RecommendationRule;
  /** False when no plan meets the constraint: `choice` is then the closest plan. */
  constraintMet: boolean;
  /** Why the choice was made (or why the constraint cannot be met), in one sentence. */
  explanation: string;
  /** Each mode's layer order, least sensitive first. */
  orders: Record<string, number[]>;
  sensitivityMeasure: 'drift' | 'score';
  /** Latency model checks against measured plans (empty when nothing was measured). */
  latencyChecks: LatencyCheck[];
  /**
   * Leave-one-out checks of the latency model on the plans it was fitted on (each priced by a table fitted
   * to the others); absent when the table was given, estimated or read from tables. Errors well above the
   * measuring noise mean a cost the additive model misses (e.g. one per precision change between layers).
   */
  latencyFit?: LatencyCheck[];
  /** The measurements the recommendation rests on (save them to recommend again without a backend). */
  tables: MeasurementTables;
  excluded: { precision: string; reason: string }[];
  /** How many plan evaluations ran (0 from tables alone). */
  evaluations: number;
}

export type { ExcludedPrecision };
