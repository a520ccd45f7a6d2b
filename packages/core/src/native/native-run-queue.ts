import { SessionDisposedError } from '../errors';

/** What a {@link NativeRunQueue} needs from its session. */
export interface NativeRunQueueOptions {
  /** Names the session in `SessionDisposedError` (`cpu session`, `cuda session`). */
  readonly session: string;
  /** Whether the session has been disposed; checked again when each job starts. */
  readonly isDisposed: () => boolean;
  /** Turns what the addon threw into samp's typed error (the backend's `fromNativeError`). */
  readonly mapError: (error: unknown) => unknown;
}

/**
 * A session's native jobs, run one after another: each starts once every job queued before it has
 * settled, so no libuv worker waits on another run of the same session, and one failure does not stop
 * the jobs behind it.
 * @example
 * const runs = new NativeRunQueue({ session: 'cpu session', isDisposed: () => disposed, mapError: fromNativeError });
 * const result = await runs.run(() => binding.runSession(handle, toNativeBatch(input), runOptions));
 */
export class NativeRunQueue {
  readonly #options: NativeRunQueueOptions;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: NativeRunQueueOptions) {
    this.#options = options;
  }

  /**
   * Queues `work`. Rejects with SessionDisposedError when the session was disposed before the job's turn
   * came, and with the mapped error when the addon fails.
   */
  run<T>(work: () => Promise<T>): Promise<T> {
    const { session, isDisposed, mapError } = this.#options;
    const job = this.#tail.then(async () => {
      if (isDisposed()) throw new SessionDisposedError(session);
      try {
        return await work();
      } catch (error) {
        throw mapError(error);
      }
    });
    this.#tail = job.catch(() => undefined);
    return job;
  }

  /** Resolves (never rejects) once every job queued so far has settled. */
  async settled(): Promise<void> {
    await this.#tail;
  }
}
