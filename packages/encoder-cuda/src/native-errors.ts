import {
  DeviceOutOfMemoryError,
  GpuUnavailableError,
  InputTooLongError,
  InvalidArgumentError,
  SampError,
  SessionDisposedError,
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

/**
 * Turns an error thrown or rejected by `samp_cuda.node` (an Error with a stable `code`) into samp's typed
 * error for that code; anything else is returned unchanged.
 * @param device names the device in DeviceOutOfMemoryError, e.g. `cuda:0`.
 */
export function fromNativeError(error: unknown, device = 'cuda'): unknown {
  if (SampError.isInstance(error)) return error;
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'SAMP_SESSION_DISPOSED':
      return new SessionDisposedError('cuda session');
    case 'SAMP_INVALID_ARGUMENT': {
      const [argument, ...rest] = error.message.split(': ');
      return rest.length > 0
        ? new InvalidArgumentError(argument ?? 'input', rest.join(': '), { cause: error })
        : new InvalidArgumentError('input', error.message, { cause: error });
    }
    case 'SAMP_INPUT_TOO_LONG': {
      const m = /has length (\d+), over the limit of (\d+)/.exec(error.message);
      return m
        ? new InputTooLongError('sequenceLength', Number(m[1]), Number(m[2]), { cause: error })
        : new InvalidArgumentError('input', error.message, { cause: error });
    }
    case 'SAMP_DEVICE_OUT_OF_MEMORY': {
      const m = /asked for (\d+) bytes/.exec(error.message);
      return new DeviceOutOfMemoryError(device, m ? Number(m[1]) : undefined, { cause: error });
    }
    case 'SAMP_GPU_UNAVAILABLE':
      return new GpuUnavailableError(error.message, { cause: error });
    case 'SAMP_GPU_FAILURE':
      return new CudaKernelError(error.message, { cause: error });
    case 'SAMP_NATIVE_FAILURE':
      return new CudaNativeError('SAMP_NATIVE_FAILURE', error.message, { cause: error });
    default:
      return error;
  }
}
