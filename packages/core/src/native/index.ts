export { loadNativeAddon, type NativeAddonDescription, nativeAddonCandidates } from './native-addon-loader';
export {
  encoderTensorNames,
  LAYER_TENSORS,
  layerSources,
  type NativeEncoderConfig,
  nativeConfig,
  readNativeWeights,
} from './native-encoder-weights';
