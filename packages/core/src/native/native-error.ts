import { InputTooLongError, InvalidArgumentError, SampError, SessionDisposedError } from '../errors';

/** What a backend adds to the codes every samp addon shares, for {@link mapNativeError}. */
export interface NativeErrorTable {
  /** Names the session in `SessionDisposedError` (`cpu session`, `cuda session`). */
  readonly session: string;
  /**
   * The typed error of each code the backend owns (its device failures, its catch-all native failure),
   * built from the addon's Error; looked up before the shared codes (default: none).
   */
  readonly codes?: Readonly<Record<string, (error: Error) => SampError>>;
}

// "<what> has length N, over the limit of L": the message of InputTooLongError, which the addons repeat
// so that it can be turned back into one (`<what>` is `sequenceLength`, or the batch's token count).
const TOO_LONG = /^(.*) has length (\d+), over the limit of (\d+)$/s;

/**
 * Turns an error thrown or rejected by a samp Node-API addon (an Error with a stable `code`) into samp's
 * typed error for that code: the backend's own codes through `table.codes`, then the shared ones
 * (`SAMP_SESSION_DISPOSED`, `SAMP_INVALID_ARGUMENT` as `"<argument>: <problem>"`, `SAMP_INPUT_TOO_LONG`).
 * A samp error, a value that is not an Error, or an unknown code is returned unchanged.
 * @example
 * throw mapNativeError(error, {
 *   session: 'cpu session',
 *   codes: { SAMP_NATIVE_FAILURE: (e) => new CpuNativeError('SAMP_NATIVE_FAILURE', e.message, { cause: e }) },
 * });
 */
export function mapNativeError(error: unknown, table: NativeErrorTable): unknown {
  if (SampError.isInstance(error)) return error;
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return error;
  // Own properties only: a code such as `constructor` must not find Object.prototype's.
  const own = table.codes !== undefined && Object.hasOwn(table.codes, code) ? table.codes[code] : undefined;
  if (own !== undefined) return own(error);
  switch (code) {
    case 'SAMP_SESSION_DISPOSED':
      return new SessionDisposedError(table.session);
    case 'SAMP_INVALID_ARGUMENT': {
      const [argument, ...rest] = error.message.split(': ');
      return rest.length > 0
        ? new InvalidArgumentError(argument ?? 'input', rest.join(': '), { cause: error })
        : new InvalidArgumentError('input', error.message, { cause: error });
    }
    case 'SAMP_INPUT_TOO_LONG': {
      const m = TOO_LONG.exec(error.message);
      return m
        ? new InputTooLongError(m[1] as string, Number(m[2]), Number(m[3]), { cause: error })
        : new InvalidArgumentError('input', error.message, { cause: error });
    }
    default:
      return error;
  }
}
