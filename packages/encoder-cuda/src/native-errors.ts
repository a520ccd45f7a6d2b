import {
  DeviceOutOfMemoryError,
  GpuUnavailableError,
  mapNativeError,
  type NativeErrorTable,
  SampError,
} from '@samp/core';

/**
 * A kernel or the GPU failed while running (a launch failure, an illegal address, a cuBLASLt error):
 * code `SAMP_GPU_FAILURE`, the CUDA error name and the failing call in the message.
 */
export class CudaKernelError extends SampError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SAMP_GPU_FAILURE', `the cuda backend failed: ${message}`, options);
  }
}

/** The native failure with no more specific class (a bug or an exhausted host). */
export class CudaNativeError extends SampError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, `the cuda backend failed: ${message}`, options);
  }
}

// The cuda addon's codes beyond the ones every addon shares (mapped by @samp/core); built per call
// because an out-of-memory error names the device.
function cudaErrors(device: string): NativeErrorTable {
  return {
    session: 'cuda session',
    codes: {
      SAMP_DEVICE_OUT_OF_MEMORY: (error) => {
        const m = /asked for (\d+) bytes/.exec(error.message);
        return new DeviceOutOfMemoryError(device, m ? Number(m[1]) : undefined, { cause: error });
      },
      SAMP_GPU_UNAVAILABLE: (error) => new GpuUnavailableError(error.message, { cause: error }),
      SAMP_GPU_FAILURE: (error) => new CudaKernelError(error.message, { cause: error }),
      SAMP_NATIVE_FAILURE: (error) =>
        new CudaNativeError('SAMP_NATIVE_FAILURE', error.message, { cause: error }),
    },
  };
}

/**
 * Turns an error thrown or rejected by `samp_cuda.node` (an Error with a stable `code`) into samp's typed
 * error for that code; anything else is returned unchanged.
 * @param device names the device in DeviceOutOfMemoryError, e.g. `cuda:0` (default `cuda`).
 */
export function fromNativeError(error: unknown, device = 'cuda'): unknown {
  return mapNativeError(error, cudaErrors(device));
}
