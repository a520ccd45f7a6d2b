import {
  type EncoderInput,
  type EncoderOutput,
  type EncoderRunOptions,
  type EncoderSession,
  InvalidArgumentError,
  type ModelArtifacts,
  type ObservedTensor,
  type PrecisionPlan,
  parseActivationTensorName,
  SessionDisposedError,
  type SessionMemoryUsage,
  type SessionPrecision,
  validateEncoderInput,
} from '@samp/core';
import type {
  CudaBinding,
  NativeBatch,
  NativeBenchmarkResult,
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
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;

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
    if (this.#disposed) throw new SessionDisposedError('cuda session');
    const config = this.model.config;
    validateEncoderInput(input, config);
    const observe = checkObserve(options.observe, config.numHiddenLayers);
    const result = await this.#enqueue(() =>
      this.#binding.runSession(this.#handle, toNative(input), {
        outputHiddenStates: options.outputHiddenStates === true,
        computePadding: this.#padPositions === 'compute',
        observe,
      }),
    );
    this.lastRunStats = result.stats;
    const output: EncoderOutput = {
      lastHiddenState: result.lastHiddenState,
      batchSize: input.batchSize,
      sequenceLength: input.sequenceLength,
      hiddenSize: config.hiddenSize,
    };
    if (options.outputHiddenStates === true) output.hiddenStates = result.hiddenStates ?? [];
    if (observe.length > 0) {
      const observed: Record<string, ObservedTensor> = {};
      for (const [name, t] of Object.entries(result.observed ?? {})) observed[name] = t;
      output.observed = observed;
    }
    return output;
  }

  /**
   * Times the encoder alone: forward passes of `input` with the batch already on the GPU (CUDA events
   * around each pass; a CUDA graph replay unless the backend's `cudaGraphs` is `off`).
   * @example
   * const { medianMs } = await session.benchmark(batch, { iterations: 100 });
   */
  async benchmark(input: EncoderInput, options: CudaBenchmarkOptions = {}): Promise<NativeBenchmarkResult> {
    if (this.#disposed) throw new SessionDisposedError('cuda session');
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
    return this.#enqueue(() =>
      this.#binding.benchmarkSession(this.#handle, toNative(input), {
        computePadding: this.#padPositions === 'compute',
        warmup,
        iterations,
      }),
    );
  }

  /** Frees the GPU memory (once runs in flight finish); idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#queue;
    await this.#binding.disposeSession(this.#handle);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const job = this.#queue.then(async () => {
      if (this.#disposed) throw new SessionDisposedError('cuda session');
      try {
        return await work();
      } catch (error) {
        throw fromNativeError(error, `cuda:${this.deviceIndex}`);
      }
    });
    this.#queue = job.catch(() => undefined);
    return job;
  }
}

function toNative(input: EncoderInput): NativeBatch {
  return {
    inputIds: input.inputIds,
    attentionMask: input.attentionMask,
    ...(input.tokenTypeIds === undefined ? {} : { tokenTypeIds: input.tokenTypeIds }),
    batchSize: input.batchSize,
    sequenceLength: input.sequenceLength,
  };
}

function checkObserve(names: readonly string[] | undefined, layers: number): string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names)) throw new InvalidArgumentError('observe', 'expected an array of tensor names');
  return names.map((name, i) => {
    const parsed = typeof name === 'string' ? parseActivationTensorName(name) : undefined;
    if (parsed === undefined) {
      throw new InvalidArgumentError(`observe[${i}]`, `unknown activation tensor ${String(name)}`);
    }
    if (parsed.kind === 'layer' && parsed.layer >= layers) {
      throw new InvalidArgumentError(
        `observe[${i}]`,
        `${name} names layer ${parsed.layer}; the model has ${layers}`,
      );
    }
    return name;
  });
}
