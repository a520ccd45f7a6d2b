// @samp/recommender: SAMP's accuracy-decay-aware mixed-precision recommendation and a search beyond it.
// It depends on @samp/core only and never imports a backend: evaluation and timing are injected.

export { accuracyLatencyChart } from './accuracy-latency-chart';
export {
  BASE_PRECISIONS,
  type BasePrecision,
  type Candidate,
  candidateKey,
  describeCandidate,
  GEMM_CODES,
  isBaseLayer,
  isBasePrecision,
  LAYER_CODES,
  uniformCandidate,
} from './candidate';
export { type Choice, choosePlan, DEFAULT_MAX_ACCURACY_DROP, kneeOf, summarizePlan } from './choose';
export { ConstraintUnmetError, InvalidTablesError } from './errors';
export {
  createOutputsEvaluator,
  type EvaluationSplit,
  type LatencyMeasurer,
  type OutputsEvaluatorOptions,
  type OutputsRunner,
  type PlanEvaluator,
  type PlanScore,
  scoreOutputs,
} from './evaluator';
export { paretoFrontier, type ScoredPoint } from './frontier';
export { frontierRows } from './frontier-rows';
export {
  cachedTables,
  emptyLatencyCache,
  findCacheEntry,
  LATENCY_CACHE_FORMAT,
  type LatencyCache,
  type LatencyCacheEntry,
  type LatencyCacheKey,
  readLatencyCache,
  recordLatencies,
  writeLatencyCache,
} from './latency-cache';
export { crossValidateLatency } from './latency-cross-validation';
export { latencyFitPlans } from './latency-fit-plans';
export {
  checkLatencyTable,
  estimateLatencyTable,
  type FitLatencyOptions,
  fitLatencyTable,
  type LatencyCheck,
  type LatencyMeasurement,
  type LatencyPrediction,
  predictLatency,
} from './latency-model';
export {
  type ExcludedPrecision,
  type LatencyTable,
  MEASUREMENT_TABLES_FORMAT,
  MEASUREMENT_TABLES_VERSION,
  type MeasurementTables,
  type SensitivityEntry,
} from './measurement-tables';
export {
  parseMeasurementTables,
  readMeasurementTables,
  writeMeasurementTables,
} from './measurement-tables-file';
export { type Proposal, type ProposeOptions, proposeCandidates } from './propose-candidates';
export { type RecommendOptions, type RecommendPhase, type RecommendProgress, recommend } from './recommend';
export { type RecommendFromTablesOptions, recommendFromTables } from './recommend-from-tables';
export { type ConstraintOptions, ruleOf } from './recommend-rule';
export type { EvaluatedPlan, Recommendation, RecommendationRule } from './recommendation';
export { type ReportOptions, renderReport, writeReport } from './render-report';
export { type GreedyOptions, greedyPath, type ProposedPlan, prefixPlans } from './search';
export {
  type AccuracyPrediction,
  createAccuracyPredictor,
  defaultSensitivityMeasure,
  type SensitivityMeasure,
  sensitivityOrder,
} from './sensitivity';
export { DEFAULT_LATENCY_ROUNDS, timeInRounds } from './time-in-rounds';
export { toPrecisionPlan } from './to-precision-plan';
