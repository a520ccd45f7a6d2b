// @samp/encoder-cpu-vnni: the native addon's loader and CPU probe. The INT8 encoder arrives with its issue.
export { CPU_BINDING_ENV, type CpuBinding, cpuBindingCandidates, loadCpuBinding } from './binding';
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
export { probe, readCpuFeatures, toBackendProbe } from './probe';
