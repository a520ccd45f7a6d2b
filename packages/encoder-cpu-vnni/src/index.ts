// @samp/encoder-cpu-vnni: the FP32 / INT8 CPU encoder backend, the addon's loader and CPU probe.
// Side-effect free: `@samp/encoder-cpu-vnni/register` registers the backend with @samp/core.

export { encoderTensorNames, LAYER_TENSORS, layerSources, nativeConfig } from '@samp/core';
export {
  CPU_BINDING_ENV,
  type CpuBinding,
  cpuBindingCandidates,
  loadCpuBinding,
  type NativeEncoderConfig,
  type NativeGemmQuant,
  type NativeLayerQuant,
  type NativeRunResult,
  type NativeSessionHandle,
  type NativeSessionSpec,
} from './binding';
export { CPU_BACKEND_NAME, type CpuBackendOptions, createCpuBackend } from './cpu-backend';
export {
  type AmxPermission,
  CPU_FEATURE_NAMES,
  type CpuFeatureName,
  type CpuFeatures,
  type CpuProbeResult,
  INT8_ISAS,
  type Int8Isa,
  type IsaOverride,
  type OsSupportName,
} from './cpu-features';
export { CpuEncoderSession, type PadPositions } from './cpu-session';
export { CpuNativeError, fromNativeError } from './native-errors';
export { readSessionSpec } from './native-spec';
export { type PrecisionSpec, resolvePrecisionSpec } from './precision-spec';
export { probe, readCpuFeatures, toBackendProbe } from './probe';
