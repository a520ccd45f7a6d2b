import { SessionDisposedError } from '../errors';
import type { ModelArtifacts } from '../model';
import type { EncoderInput, EncoderOutput, EncoderRunOptions } from '../spec';
import { validateEncoderInput } from '../spec';
import { checkObserveNames } from './check-observe';
import { type NativeEncoderBatch, toNativeBatch } from './native-batch';
import { type NativeEncoderResult, toEncoderOutput } from './native-run-output';
import { NativeRunQueue } from './native-run-queue';

/** The options every samp addon's `runSession` takes. */
export interface NativeRunSessionOptions {
  outputHiddenStates: boolean;
  /** Whether padded positions run too (`padPositions: 'compute'`). */
  computePadding: boolean;
  observe: string[];
}

/** The part of a backend's addon a {@link NativeSessionRunner} calls. */
export interface NativeRunBinding<Handle, Result extends NativeEncoderResult> {
  runSession(handle: Handle, input: NativeEncoderBatch, options: NativeRunSessionOptions): Promise<Result>;
}

/** What a {@link NativeSessionRunner} runs, and how its backend names things. */
export interface NativeSessionRunnerOptions<Handle, Result extends NativeEncoderResult> {
  readonly binding: NativeRunBinding<Handle, Result>;
  /** The addon's session. */
  readonly handle: Handle;
  readonly model: ModelArtifacts;
  /** `compute` runs padded positions too; `skip` leaves them out. */
  readonly padPositions: 'compute' | 'skip';
  /** Names the session in `SessionDisposedError` (`cpu session`, `cuda session`). */
  readonly session: string;
  /** Turns what the addon threw into samp's typed error (the backend's `fromNativeError`). */
  readonly mapError: (error: unknown) => unknown;
}

/**
 * What a backend's EncoderSession does around its addon's `runSession`: refuse after dispose, check the
 * batch and the `observe` names, queue the run behind the session's others (mapping native errors), and
 * shape the addon's result as the spec's EncoderOutput. The session keeps what is its own (memory
 * reports, device names, run statistics, how the addon frees a session).
 * @example
 * const runner = new NativeSessionRunner({ binding, handle, model, padPositions: 'compute', session: 'cpu session', mapError: fromNativeError });
 * const { output } = await runner.run(input, { observe: ['layers.0.attention.probs'] });
 */
export class NativeSessionRunner<Handle, Result extends NativeEncoderResult> {
  readonly #options: NativeSessionRunnerOptions<Handle, Result>;
  readonly #queue: NativeRunQueue;
  #disposed = false;

  constructor(options: NativeSessionRunnerOptions<Handle, Result>) {
    this.#options = options;
    this.#queue = new NativeRunQueue({
      session: options.session,
      isDisposed: () => this.#disposed,
      mapError: options.mapError,
    });
  }

  /** Whether {@link markDisposed} has been called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Encodes a padded batch: the spec's output, and the addon's own result (for backend statistics).
   * @throws SessionDisposedError after dispose, InvalidArgumentError / InputTooLongError for malformed
   * input or `observe` names, or the mapped native error.
   */
  async run(
    input: EncoderInput,
    options: EncoderRunOptions = {},
  ): Promise<{ output: EncoderOutput; result: Result }> {
    const { binding, handle, model, padPositions } = this.#options;
    this.assertLive();
    const config = model.config;
    validateEncoderInput(input, config);
    const observe = checkObserveNames(options.observe, config.numHiddenLayers);
    const outputHiddenStates = options.outputHiddenStates === true;
    const result = await this.#queue.run(() =>
      binding.runSession(handle, toNativeBatch(input), {
        outputHiddenStates,
        computePadding: padPositions === 'compute',
        observe,
      }),
    );
    return {
      output: toEncoderOutput(input, config.hiddenSize, result, { outputHiddenStates, observe }),
      result,
    };
  }

  /** Queues other native work of the session (a benchmark) behind its runs, mapping native errors. */
  enqueue<T>(work: () => Promise<T>): Promise<T> {
    return this.#queue.run(work);
  }

  /** Throws SessionDisposedError once the session is disposed. */
  assertLive(): void {
    if (this.#disposed) throw new SessionDisposedError(this.#options.session);
  }

  /**
   * Marks the session disposed: later runs reject with SessionDisposedError, as do queued ones whose turn
   * has not come. Returns false when it already was (dispose is idempotent).
   */
  markDisposed(): boolean {
    if (this.#disposed) return false;
    this.#disposed = true;
    return true;
  }

  /** Resolves (never rejects) once every run and job queued so far has settled. */
  settled(): Promise<void> {
    return this.#queue.settled();
  }
}
