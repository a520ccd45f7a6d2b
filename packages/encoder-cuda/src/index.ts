// @samp/encoder-cuda: the native addon's loader, GPU probe and kernel self-test. The encoder arrives with its issue.
export { CUDA_BINDING_ENV, type CudaBinding, cudaBindingCandidates, loadCudaBinding } from './binding';
export type { CublasLtStatus, CudaDevice, CudaProbeResult, CudaSelfTestResult } from './cuda-probe-result';
export { formatCudaVersion, probe, probeCuda, toBackendProbe } from './probe';
export { selfTest } from './self-test';
