import {
  type EncoderInput,
  type EncoderOutput,
  type EncoderRunOptions,
  type EncoderSession,
  InvalidArgumentError,
  type ModelArtifacts,
  NativeSessionRunner,
  type PrecisionPlan,
  type SessionMemoryUsage,
  type SessionPrecision,
  toNativeBatch,
  validateEncoderInput,
} from '@samp/core';
import type {
  CudaBinding,
  NativeBenchmarkResult,
  NativeRunResult,
  NativeRunStats,
  NativeSessionHandle,
} from './binding';
import { fromNativeError } from './native-errors';

/**
 * How padded positions are treated: `skip` (default) removes padding (only the real tokens of each row
 * run; padded positions of the outputs are zeros); `compute` runs them too, attending to the real
 * tokens only, so every position matches Hugging Face.
 */
export type CudaPadPositions = 'compute' | 'skip';

/** Options of {@link CudaEncoderSession.benchmark}. */
export interface CudaBenchmarkOptions {
  /** Forward passes before timing (default 10). */
  warmup?: number;
  /** Timed forward passes (default 50). */
  iterations?: number;
}

/**
 * A session of the cuda backend: the weights live on one GPU at one float precision. Runs are queued
 * here and serialised natively (one stream per session); each works off the JS thread, so the event loop
 * never waits on the GPU. Sessions are independent: several may run at once, on one GPU or several.
 */
export class CudaEncoderSession implements EncoderSession {
  readonly model: ModelArtifacts;
  readonly precision: SessionPrecision;
  readonly plan: PrecisionPlan | undefined;
  /** The GPU's index. */
  readonly deviceIndex: number;
  /** Bytes of device memory the weights take. */
  readonly weightBytes: number;
  /**
   * The attention kernel: `tensor-core` (register-resident mma.sync flash attention, FP16 sessions with
   * head_dim 64), `tensor-core-wmma` (the earlier WMMA kernel, `SAMP_CUDA_ATTENTION=wmma`) or `generic`
   * (FP32 math on CUDA cores; `SAMP_CUDA_ATTENTION=generic` forces it when the session is made).
   */
  readonly attentionKernel: 'tensor-core' | 'tensor-core-wmma' | 'generic';
  /** How the last successful run went (tokens run, CUDA graph replay, GPU time). */
  lastRunStats: NativeRunStats | undefined;
  readonly #binding: CudaBinding;
  readonly #handle: NativeSessionHandle;
  readonly #padPositions: CudaPadPositions;
  readonly #runner: NativeSessionRunner<NativeSessionHandle, NativeRunResult>;

  /** @internal Made by `createCudaBackend().createSession`. */
  constructor(
    binding: CudaBinding,
    handle: NativeSessionHandle,
    model: ModelArtifacts,
    precision: SessionPrecision,
    plan: PrecisionPlan | undefined,
    padPositions: CudaPadPositions,
  ) {
    this.#binding = binding;
    this.#handle = handle;
    this.model = model;
    this.precision = precision;
    this.plan = plan;
    this.#padPositions = padPositions;
    const info = binding.sessionInfo(handle);
    this.deviceIndex = info.device ?? 0;
    this.weightBytes = info.weightBytes ?? 0;
    this.attentionKernel = info.attentionKernel ?? 'generic';
    const mapError = (error: unknown) => fromNativeError(error, `cuda:${this.deviceIndex}`);
    this.#runner = new NativeSessionRunner({
      binding,
      handle,
      model,
      padPositions,
      session: 'cuda session',
      mapError,
    });
  }

  /** Bytes of the run workspace now, and CUDA graphs captured so far. */
  memory(): { workspaceBytes: number; graphs: number } {
    const info = this.#binding.sessionInfo(this.#handle);
    return { workspaceBytes: info.workspaceBytes ?? 0, graphs: info.graphs ?? 0 };
  }

  /**
   * The device memory the session holds now (`device` is `cuda:<index>`): its weights, and its run
   * workspace, which grows to the largest batch run so far. Both are 0 once the native session is freed.
   * @example
   * const { weightBytes, workspaceBytes } = session.memoryUsage();
   */
  memoryUsage(): SessionMemoryUsage {
    const info = this.#binding.sessionInfo(this.#handle);
    return {
      device: `cuda:${this.deviceIndex}`,
      weightBytes: info.disposed ? 0 : (info.weightBytes ?? 0),
      workspaceBytes: info.disposed ? 0 : (info.workspaceBytes ?? 0),
    };
  }

  /**
   * Encodes a padded batch. Outputs at padded positions are zeros (the default `padPositions: 'skip'`)
   * or Hugging Face's (`'compute'`).
   * @throws InvalidArgumentError / InputTooLongError for malformed input, SessionDisposedError after
   * dispose, DeviceOutOfMemoryError (the session stays usable), CudaKernelError.
   */
  async run(input: EncoderInput, options: EncoderRunOptions = {}): Promise<EncoderOutput> {
    const { output, result } = await this.#runner.run(input, options);
    this.lastRunStats = result.stats;
    return output;
  }

  /**
   * Times the encoder alone: forward passes of `input` with the batch already on the GPU (CUDA events
   * around each pass; a CUDA graph replay unless the backend's `cudaGraphs` is `off`).
   * @example
   * const { medianMs } = await session.benchmark(batch, { iterations: 100 });
   */
  async benchmark(input: EncoderInput, options: CudaBenchmarkOptions = {}): Promise<NativeBenchmarkResult> {
    this.#runner.assertLive();
    validateEncoderInput(input, this.model.config);
    const warmup = options.warmup ?? 10;
    const iterations = options.iterations ?? 50;
    for (const [field, value, min] of [
      ['warmup', warmup, 0],
      ['iterations', iterations, 1],
    ] as const) {
      if (!Number.isInteger(value) || value < min || value > 100_000)
        throw new InvalidArgumentError(field, `expected an integer from ${min} to 100000, got ${value}`);
    }
    return this.#runner.enqueue(() =>
      this.#binding.benchmarkSession(this.#handle, toNativeBatch(input), {
        computePadding: this.#padPositions === 'compute',
        warmup,
        iterations,
      }),
    );
  }

  /** Frees the GPU memory (once runs in flight finish); idempotent. */
  async dispose(): Promise<void> {
    if (!this.#runner.markDisposed()) return;
    await this.#runner.settled();
    await this.#binding.disposeSession(this.#handle);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
