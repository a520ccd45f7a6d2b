export { checkObserveNames } from './check-observe';
export { loadNativeAddon, type NativeAddonDescription, nativeAddonCandidates } from './native-addon-loader';
export { type NativeEncoderBatch, toNativeBatch } from './native-batch';
export {
  encoderTensorNames,
  LAYER_TENSORS,
  layerSources,
  type NativeEncoderConfig,
  nativeConfig,
  readNativeWeights,
} from './native-encoder-weights';
export { mapNativeError, type NativeErrorTable } from './native-error';
export type { NativeEncoderResult } from './native-run-output';
export {
  type NativeRunBinding,
  type NativeRunSessionOptions,
  NativeSessionRunner,
  type NativeSessionRunnerOptions,
} from './native-session-runner';
