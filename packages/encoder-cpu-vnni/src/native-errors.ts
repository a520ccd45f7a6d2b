import { InputTooLongError, InvalidArgumentError, SampError, SessionDisposedError } from '@samp/core';

/** The native failure with no more specific class (a bug or an exhausted machine). */
export class CpuNativeError extends SampError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, `the cpu backend failed: ${message}`, options);
  }
}

/**
 * Turns an error thrown or rejected by `samp_cpu.node` (an Error with a stable `code`) into samp's typed
 * error for that code; anything else is returned unchanged.
 */
export function fromNativeError(error: unknown): unknown {
  if (SampError.isInstance(error)) return error;
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'SAMP_SESSION_DISPOSED':
      return new SessionDisposedError('cpu session');
    case 'SAMP_INVALID_ARGUMENT': {
      const [argument, ...rest] = error.message.split(': ');
      return rest.length > 0
        ? new InvalidArgumentError(argument ?? 'input', rest.join(': '), { cause: error })
        : new InvalidArgumentError('input', error.message, { cause: error });
    }
    case 'SAMP_INPUT_TOO_LONG': {
      // "<what> has length N, over the limit of L": sequenceLength past the position table, or
      // "batchSize × sequenceLength (…)" past the native per-run token limit.
      const m = /^(.*) has length (\d+), over the limit of (\d+)$/s.exec(error.message);
      return m
        ? new InputTooLongError(m[1] as string, Number(m[2]), Number(m[3]), { cause: error })
        : new InvalidArgumentError('input', error.message, { cause: error });
    }
    case 'SAMP_NATIVE_FAILURE':
      return new CpuNativeError('SAMP_NATIVE_FAILURE', error.message, { cause: error });
    default:
      return error;
  }
}
