import {
  type EncoderInput,
  type EncoderOutput,
  type EncoderRunOptions,
  type EncoderSession,
  type ModelArtifacts,
  NativeSessionRunner,
  type PrecisionPlan,
  type SessionMemoryUsage,
  type SessionPrecision,
} from '@samp/core';
import type { CpuBinding, NativeRunResult, NativeSessionHandle } from './binding';
import { fromNativeError } from './native-errors';

/** How padded positions are treated (see `CpuBackendOptions.padPositions`). */
export type PadPositions = 'compute' | 'skip';

/**
 * A session of the cpu backend (FP32, or INT8 layers per its plan). Runs go to the native side one after another (a queue here, so no
 * libuv thread ever waits on another run); each run works off the JS thread.
 */
export class CpuEncoderSession implements EncoderSession {
  readonly model: ModelArtifacts;
  readonly precision: SessionPrecision;
  readonly plan: PrecisionPlan | undefined;
  /** The kernels in use: `avx2` or `scalar`. */
  readonly isa: 'avx2' | 'scalar';
  /** The INT8 kernels' ISA (used by the INT8 layers of a plan). */
  readonly int8Isa: string;
  /** Bytes of the packed Linear weights: 4 per FP32 weight, about 1 per INT8 weight. */
  readonly weightBytes: number;
  /** Threads of the session's pool. */
  readonly threads: number;
  /**
   * Bytes of activation scratch the session keeps between runs (what its recent batches needed: one much
   * larger than those, over 64 MiB, is freed after its run; 0 once disposed).
   */
  get workspaceBytes(): number {
    if (this.#runner.disposed) return 0;
    return this.#binding.sessionInfo(this.#handle).workspaceBytes ?? 0;
  }
  readonly #binding: CpuBinding;
  readonly #handle: NativeSessionHandle;
  readonly #runner: NativeSessionRunner<NativeSessionHandle, NativeRunResult>;

  /** @internal Made by `createCpuBackend().createSession`. */
  constructor(
    binding: CpuBinding,
    handle: NativeSessionHandle,
    model: ModelArtifacts,
    precision: SessionPrecision,
    plan: PrecisionPlan | undefined,
    padPositions: PadPositions,
  ) {
    this.#binding = binding;
    this.#handle = handle;
    this.model = model;
    this.precision = precision;
    this.plan = plan;
    this.#runner = new NativeSessionRunner({
      binding,
      handle,
      model,
      padPositions,
      session: 'cpu session',
      mapError: fromNativeError,
    });
    const info = binding.sessionInfo(handle);
    this.isa = info.isa ?? 'scalar';
    this.threads = info.threads ?? 1;
    this.int8Isa = info.int8Isa ?? 'scalar';
    this.weightBytes = info.weightBytes ?? 0;
  }

  /**
   * The memory the session holds now (`device` is `cpu`): its packed Linear weights and its activation
   * scratch, both 0 once disposed. The native side counts only the Linear weights: the copies of the
   * embedding tables and LayerNorm parameters it also keeps are not in `weightBytes`.
   * @example
   * const { weightBytes, workspaceBytes } = session.memoryUsage();
   */
  memoryUsage(): SessionMemoryUsage {
    if (this.#runner.disposed) return { device: 'cpu', weightBytes: 0, workspaceBytes: 0 };
    return { device: 'cpu', weightBytes: this.weightBytes, workspaceBytes: this.workspaceBytes };
  }

  /**
   * Encodes a padded batch. Outputs at padded positions are Hugging Face's (the default `padPositions:
   * 'compute'`) or zeros (`'skip'`).
   * @throws InvalidArgumentError / InputTooLongError for malformed input, SessionDisposedError after dispose.
   */
  async run(input: EncoderInput, options: EncoderRunOptions = {}): Promise<EncoderOutput> {
    return (await this.#runner.run(input, options)).output;
  }

  /** Frees the native weights (once runs in flight finish); idempotent. */
  async dispose(): Promise<void> {
    if (!this.#runner.markDisposed()) return;
    this.#binding.disposeSession(this.#handle);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
