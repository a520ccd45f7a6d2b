export { checkPlanMatches, checkProfileMatches, type MatchTarget } from './check-model-match';
export { parsePrecisionPlan } from './parse-precision-plan';
export { parseQuantProfile } from './parse-quant-profile';
export { checkProfileCoversPlan, requiredActivationTensors, resolveLayerGemms } from './plan-requirements';
export {
  GEMM_NAMES,
  GEMM_PRECISIONS,
  type GemmName,
  type GemmPrecision,
  gemmPrecisionsOf,
  isGemmName,
  isGemmPrecision,
  isLayerPrecision,
  isSessionPrecision,
  LAYER_PRECISIONS,
  type LayerPrecision,
  SESSION_PRECISIONS,
  type SessionPrecision,
} from './precision';
export {
  type FrontierPoint,
  type LayerPlan,
  type PlanPrediction,
  type PlanTarget,
  PRECISION_PLAN_FORMAT,
  PRECISION_PLAN_VERSION,
  type PrecisionPlan,
  uniformPlan,
} from './precision-plan';
export { readPrecisionPlan, serializePrecisionPlan, writePrecisionPlan } from './precision-plan-file';
export { collectWeightScales, profileInputScale } from './profile-scales';
export {
  type ActivationScale,
  CALIBRATION_METHODS,
  type CalibrationMethod,
  type CalibrationMethodOptions,
  QUANT_PROFILE_FORMAT,
  QUANT_PROFILE_VERSION,
  type QuantProfile,
  type WeightScales,
} from './quant-profile';
export { readQuantProfile, serializeQuantProfile, writeQuantProfile } from './quant-profile-file';
export * from './schema';
export {
  type ActivationShapeConfig,
  activationTensorNames,
  activationTensorShape,
  EMBEDDINGS_OUTPUT,
  GEMM_INPUT_TAPS,
  gemmInputTensorNames,
  LAYER_ACTIVATION_TAPS,
  type LayerActivationTap,
  layerActivationName,
  type ParsedActivationName,
  parseActivationTensorName,
} from './tensor-names';
export { writeFileAtomic } from './write-file-atomic';
