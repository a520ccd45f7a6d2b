import { mapNativeError, type NativeErrorTable, SampError } from '@samp/core';

/** The native failure with no more specific class (a bug or an exhausted machine). */
export class CpuNativeError extends SampError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, `the cpu backend failed: ${message}`, options);
  }
}

// The cpu addon's codes beyond the ones every addon shares (mapped by @samp/core).
const CPU_ERRORS: NativeErrorTable = {
  session: 'cpu session',
  codes: {
    SAMP_NATIVE_FAILURE: (error) =>
      new CpuNativeError('SAMP_NATIVE_FAILURE', error.message, { cause: error }),
  },
};

/**
 * Turns an error thrown or rejected by `samp_cpu.node` (an Error with a stable `code`) into samp's typed
 * error for that code; anything else is returned unchanged.
 */
export function fromNativeError(error: unknown): unknown {
  return mapNativeError(error, CPU_ERRORS);
}
