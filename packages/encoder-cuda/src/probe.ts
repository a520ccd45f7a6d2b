import { type BackendProbe, SampError } from '@samp/core';
import { loadCudaBinding } from './binding';
import type { CudaDevice, CudaProbeResult } from './cuda-probe-result';

/**
 * The raw CUDA probe of the native addon: driver and runtime versions, devices, cuBLASLt.
 * Resolves when there is no driver or no GPU (`available: false` with the CUDA error as `reason`).
 * @throws BindingNotFoundError / BindingLoadError when the addon is not built or does not load.
 * @example
 * const { devices } = await probeCuda();
 */
export async function probeCuda(): Promise<CudaProbeResult> {
  return loadCudaBinding().probe();
}

/** `13000` → `13.0` (CUDA encodes major * 1000 + minor * 10). */
export function formatCudaVersion(version: number): string {
  return `${Math.floor(version / 1000)}.${Math.floor((version % 1000) / 10)}`;
}

function describeDevice(d: CudaDevice): string {
  const gib = (d.totalMemory / 2 ** 30).toFixed(1);
  return `${d.index}: ${d.name}, compute ${d.computeCapability}, ${gib} GiB, ${d.multiprocessors} SMs`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns the native result into the backend-spec shape (flat `details` for `samp doctor`). */
export function toBackendProbe(raw: CudaProbeResult): BackendProbe {
  const details: BackendProbe['details'] = {
    runtimeVersion: formatCudaVersion(raw.runtimeVersion),
    driverVersion: raw.driverVersion > 0 ? formatCudaVersion(raw.driverVersion) : 'none',
    deviceCount: raw.devices.length,
    devices: raw.devices.map(describeDevice),
    cublasLt: raw.cublasLt.found ? (raw.cublasLt.version ?? 'found') : 'not found',
  };
  if (raw.cublasLt.path !== undefined) details.cublasLtPath = raw.cublasLt.path;
  if (raw.errorName !== undefined) details.cudaError = raw.errorName;
  if (!raw.available) {
    return { status: 'unavailable', reason: raw.reason ?? 'no usable CUDA device', details };
  }
  if (!raw.cublasLt.found) {
    return {
      status: 'unavailable',
      reason: `${raw.cublasLt.reason ?? 'cuBLASLt not found'}; install cuBLAS (libcublasLt.so.13) or set SAMP_CUBLASLT_PATH`,
      details,
    };
  }
  return { status: 'available', details };
}

/**
 * Whether the CUDA backend can run here, and what it found. Never throws: a missing addon gives
 * `not-built` (the reason lists every path tried and the build command); no driver, no GPU or no
 * cuBLASLt gives `unavailable` with the CUDA error or the dlopen errors as the reason.
 * @example
 * const { status, reason, details } = await probe();
 * // on a machine without a driver: 'unavailable', 'cudaErrorInsufficientDriver: CUDA driver version is insufficient…'
 */
export async function probe(): Promise<BackendProbe> {
  let raw: CudaProbeResult;
  try {
    raw = await probeCuda();
  } catch (error) {
    if (SampError.isInstance(error) && error.code === 'SAMP_BINDING_NOT_FOUND') {
      return { status: 'not-built', reason: error.message, details: {} };
    }
    return { status: 'failed', reason: errorMessage(error), details: {} };
  }
  return toBackendProbe(raw);
}
