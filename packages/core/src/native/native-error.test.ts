import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, SampError } from '../errors';
import { mapNativeError, type NativeErrorTable } from './native-error';

// What the addons throw: an Error with a stable `code` (native/common/error.h), messages as written
// by native/cpu and native/cuda.
const native = (code: string, message: string) => Object.assign(new Error(message), { code });

class TestBackendError extends SampError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SAMP_NATIVE_FAILURE', `the test backend failed: ${message}`, options);
  }
}

const table: NativeErrorTable = {
  session: 'test session',
  codes: { SAMP_NATIVE_FAILURE: (e) => new TestBackendError(e.message, { cause: e }) },
};

describe('mapNativeError', () => {
  it('maps the shared codes to core errors, keeping the message and the cause', () => {
    expect(mapNativeError(native('SAMP_SESSION_DISPOSED', 'session: disposed'), table)).toMatchObject({
      name: 'SessionDisposedError',
      code: 'SAMP_SESSION_DISPOSED',
      message: 'the test session has been disposed',
    });
    const bad = native('SAMP_INVALID_ARGUMENT', 'threads: expected an integer from 1 to 1024, got 0');
    const mapped = mapNativeError(bad, table);
    expect(mapped).toBeInstanceOf(InvalidArgumentError);
    expect(mapped).toMatchObject({
      argument: 'threads',
      message: 'threads: expected an integer from 1 to 1024, got 0',
      cause: bad,
    });
    // Only the first ': ' separates the argument from the problem.
    expect(
      mapNativeError(native('SAMP_INVALID_ARGUMENT', 'plan: layer 2: expected fp32'), table),
    ).toMatchObject({
      argument: 'plan',
      message: 'plan: layer 2: expected fp32',
    });
    expect(mapNativeError(native('SAMP_INVALID_ARGUMENT', 'no argument named'), table)).toMatchObject({
      argument: 'input',
      message: 'input: no argument named',
    });
  });

  it('turns "<what> has length N, over the limit of L" back into InputTooLongError, else InvalidArgumentError', () => {
    expect(
      mapNativeError(
        native('SAMP_INPUT_TOO_LONG', 'sequenceLength has length 70, over the limit of 64'),
        table,
      ),
    ).toMatchObject({
      name: 'InputTooLongError',
      code: 'SAMP_INPUT_TOO_LONG',
      length: 70,
      limit: 64,
      message: 'sequenceLength has length 70, over the limit of 64',
    });
    const tokens =
      'batchSize × sequenceLength (4096 × 512 padded tokens in one run; split it into runs of at most 2048 rows) has length 2097152, over the limit of 1048576';
    expect(mapNativeError(native('SAMP_INPUT_TOO_LONG', tokens), table)).toMatchObject({
      name: 'InputTooLongError',
      length: 2097152,
      limit: 1048576,
      message: tokens,
    });
    const position = 'position id 514 of row 3 is outside the position table (514 entries)';
    expect(mapNativeError(native('SAMP_INPUT_TOO_LONG', position), table)).toMatchObject({
      name: 'InvalidArgumentError',
      code: 'SAMP_INVALID_ARGUMENT',
      argument: 'input',
      message: `input: ${position}`,
    });
  });

  it("maps the backend's own codes through its table, which comes before the shared ones", () => {
    const failure = native('SAMP_NATIVE_FAILURE', 'std::bad_alloc');
    expect(mapNativeError(failure, table)).toMatchObject({
      name: 'TestBackendError',
      code: 'SAMP_NATIVE_FAILURE',
      message: 'the test backend failed: std::bad_alloc',
      cause: failure,
    });
    const overriding: NativeErrorTable = {
      session: 'test session',
      codes: { SAMP_INVALID_ARGUMENT: (e) => new TestBackendError(e.message) },
    };
    expect(mapNativeError(native('SAMP_INVALID_ARGUMENT', 'x: y'), overriding)).toBeInstanceOf(
      TestBackendError,
    );
    // Without a table entry the code is unknown here.
    expect(mapNativeError(failure, { session: 'test session' })).toBe(failure);
  });

  it('returns samp errors, non-Errors, Errors without a code and unknown codes unchanged', () => {
    const typed = new InvalidArgumentError('threads', 'expected a positive integer');
    expect(mapNativeError(typed, table)).toBe(typed);
    expect(mapNativeError('a string', table)).toBe('a string');
    expect(mapNativeError(undefined, table)).toBeUndefined();
    const plain = new Error('plain');
    expect(mapNativeError(plain, table)).toBe(plain);
    const unknown = native('SAMP_SOMETHING_NEW', 'later');
    expect(mapNativeError(unknown, table)).toBe(unknown);
    // A code that names an Object.prototype member is not looked up on the prototype.
    const proto = native('constructor', 'not a code');
    expect(mapNativeError(proto, table)).toBe(proto);
  });
});
