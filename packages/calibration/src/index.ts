// @samp/calibration: post-training INT8 calibration over an injected FP32 session, producing a QuantProfile.
export { AbsHistogram, checkNumBins, DEFAULT_NUM_BINS } from './abs-histogram';
export type { CalibrationBatches } from './batch-source';
export {
  type CalibrateOptions,
  type CalibrationProgress,
  type CalibrationReport,
  type CalibrationResult,
  calibrate,
  DEFAULT_CALIBRATION_METHOD,
} from './calibrate';
export {
  CalibrationTensorError,
  EmptyCalibrationSetError,
  NonFiniteActivationError,
  SmoothingError,
} from './errors';
export { compareMethods, type MethodOutcome, scaleOf, type TensorMethodReport } from './method-report';
export { entropyThreshold } from './methods/entropy-threshold';
export { mseThreshold } from './methods/mse-threshold';
export { percentileThreshold } from './methods/percentile-threshold';
export { DEFAULT_PERCENTILE, thresholdForMethod } from './methods/threshold-for-method';
export {
  cumulativeSquaredError,
  type HistogramLike,
  INT8_MAX,
  quantizationNoise,
  sqnrDb,
} from './quantization-error';
export { applySmoothing, smoothModel } from './smooth-model';
export { columnAbsMax, DEFAULT_SMOOTH_QUANT_ALPHA, smoothQuantFactors } from './smooth-quant-factors';
export { SMOOTHING_SITES, type SmoothingSite } from './smoothing-sites';
export { LINEAR_WEIGHTS, perChannelWeightScales } from './weight-scales';
