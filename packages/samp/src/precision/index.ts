export {
  type AutoPrecision,
  type AutoPrecisionContext,
  type AutoPrecisionOptions,
  resolveAutoPrecision,
} from './auto-precision';
export { encoderBatches, type TokenizerInput } from './encoder-batches';
export { type BackendRecommendOptions, recommendOnBackend } from './recommend-on-backend';
