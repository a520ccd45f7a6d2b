export {
  type AutoPrecision,
  type AutoPrecisionContext,
  type AutoPrecisionOptions,
  resolveAutoPrecision,
} from './auto-precision';
export {
  type BasePrecisionChoice,
  type BasePrecisionOptions,
  chooseBasePrecision,
} from './base-precision';
export { encoderBatches, type TokenizerInput } from './encoder-batches';
export { type BackendRecommendOptions, recommendOnBackend } from './recommend-on-backend';
