import { describe, expect, it } from 'vitest';
import { SampError } from '../errors';
import { NativeRunQueue } from './native-run-queue';

class MappedError extends SampError {
  constructor(cause: unknown) {
    super('SAMP_NATIVE_FAILURE', `mapped: ${(cause as Error).message}`, { cause });
  }
}

const deferred = () => {
  let resolve!: (value: string) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('NativeRunQueue', () => {
  it('starts each job once the ones before it have settled, failed or not', async () => {
    const queue = new NativeRunQueue({
      session: 'test session',
      isDisposed: () => false,
      mapError: (e) => e,
    });
    const started: string[] = [];
    const first = deferred();
    const second = deferred();
    const a = queue.run(() => {
      started.push('a');
      return first.promise;
    });
    const b = queue.run(() => {
      started.push('b');
      return second.promise;
    });
    const c = queue.run(async () => {
      started.push('c');
      return 'c';
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual(['a']);
    first.reject(new Error('a failed'));
    await expect(a).rejects.toThrow('a failed');
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual(['a', 'b']);
    second.resolve('b');
    expect(await b).toBe('b');
    expect(await c).toBe('c');
    expect(started).toEqual(['a', 'b', 'c']);
    await expect(queue.settled()).resolves.toBeUndefined();
  });

  it('maps what the work throws, synchronously or not, through mapError', async () => {
    const queue = new NativeRunQueue({
      session: 'test session',
      isDisposed: () => false,
      mapError: (e) => new MappedError(e),
    });
    const rejected = queue.run(() => Promise.reject(new Error('async failure')));
    await expect(rejected).rejects.toMatchObject({
      message: 'mapped: async failure',
      code: 'SAMP_NATIVE_FAILURE',
    });
    const thrown = queue.run(() => {
      throw new Error('sync failure');
    });
    await expect(thrown).rejects.toThrow('mapped: sync failure');
    // settled() does not reject, whatever the jobs did.
    await expect(queue.settled()).resolves.toBeUndefined();
  });

  it('rejects a job whose turn comes after the session was disposed, without running it', async () => {
    let disposed = false;
    const queue = new NativeRunQueue({
      session: 'test session',
      isDisposed: () => disposed,
      mapError: (e) => e,
    });
    const gate = deferred();
    const first = queue.run(() => gate.promise);
    let ran = false;
    const second = queue.run(async () => {
      ran = true;
    });
    // The first job has started (its turn came before dispose); the second's comes after.
    await new Promise((r) => setTimeout(r, 5));
    disposed = true;
    gate.resolve('done');
    expect(await first).toBe('done');
    await expect(second).rejects.toMatchObject({
      name: 'SessionDisposedError',
      code: 'SAMP_SESSION_DISPOSED',
      message: 'the test session has been disposed',
    });
    expect(ran).toBe(false);
  });
});
