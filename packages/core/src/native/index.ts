export { loadNativeAddon, type NativeAddonDescription, nativeAddonCandidates } from './native-addon-loader';
