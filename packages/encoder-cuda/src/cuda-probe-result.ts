/** One CUDA device as the runtime describes it. */
export interface CudaDevice {
  index: number;
  name: string;
  /** `major.minor`, e.g. `9.0` for Hopper. */
  computeCapability: string;
  /** Bytes of device memory. */
  totalMemory: number;
  multiprocessors: number;
}

/** Whether cuBLASLt (loaded with dlopen at run time, never linked) was found, and where. */
export interface CublasLtStatus {
  found: boolean;
  /** The file it was loaded from, when found. */
  path?: string;
  /** `major.minor.patch` from `cublasLtGetVersion`, when found. */
  version?: string;
  /** Every dlopen error, when not found. */
  reason?: string;
  /** What was handed to dlopen, in order: `$SAMP_CUBLASLT_PATH`, `libcublasLt.so.13`, `.so.12`, `.so`. */
  tried: string[];
}

/** What `samp_cuda.node`'s `probe()` resolves with. */
export interface CudaProbeResult {
  /** At least one device is usable by the (statically linked) CUDA runtime. */
  available: boolean;
  /** Why not, when `available` is false: the CUDA error verbatim (`cudaErrorInsufficientDriver: …`). */
  reason?: string;
  /** The failing call's CUDA error name, e.g. `cudaErrorNoDevice`. */
  errorName?: string;
  /** `cudaDriverGetVersion`: 13000 means 13.0; 0 when no driver is installed. */
  driverVersion: number;
  /** `cudaRuntimeGetVersion` of the runtime compiled into the addon. */
  runtimeVersion: number;
  devices: CudaDevice[];
  cublasLt: CublasLtStatus;
}

/** What `selfTest(deviceIndex)` resolves with. */
export interface CudaSelfTestResult {
  device: number;
  /** 32-bit words written by the kernel and compared on the host. */
  elements: number;
  mismatches: number;
  passed: boolean;
  /** Wall time of allocation, kernel and copy back. */
  milliseconds: number;
}
