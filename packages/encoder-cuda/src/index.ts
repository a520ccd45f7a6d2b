// @samp/encoder-cuda: the FP32 / FP16 CUDA encoder backend, the addon's loader, GPU probe and kernel
// self-test. Side-effect free: `@samp/encoder-cuda/register` registers the backend with @samp/core.

export {
  encoderTensorNames,
  LAYER_TENSORS,
  layerSources,
  type NativeEncoderConfig,
  nativeConfig,
  readNativeWeights,
} from '@samp/core';
export {
  CUDA_BINDING_ENV,
  type CudaBinding,
  cudaBindingCandidates,
  loadCudaBinding,
  type NativeBatch,
  type NativeBenchmarkResult,
  type NativeRunResult,
  type NativeRunStats,
  type NativeSessionHandle,
  type NativeSessionSpec,
} from './binding';
export {
  CUDA_BACKEND_NAME,
  type CudaBackend,
  type CudaBackendOptions,
  type CudaDeviceMemory,
  createCudaBackend,
} from './cuda-backend';
export type { CublasLtStatus, CudaDevice, CudaProbeResult, CudaSelfTestResult } from './cuda-probe-result';
export { type CudaBenchmarkOptions, CudaEncoderSession, type CudaPadPositions } from './cuda-session';
export { CudaKernelError, CudaNativeError, fromNativeError } from './native-errors';
export { type CudaPrecisionSpec, resolveCudaPrecision } from './precision-spec';
export { formatCudaVersion, probe, probeCuda, toBackendProbe } from './probe';
export { selfTest } from './self-test';
