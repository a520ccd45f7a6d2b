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
import type { CpuBinding, NativeSessionHandle } from './binding';
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
    if (this.#disposed) return 0;
    return this.#binding.sessionInfo(this.#handle).workspaceBytes ?? 0;
  }
  readonly #binding: CpuBinding;
  readonly #handle: NativeSessionHandle;
  readonly #padPositions: PadPositions;
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;

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
    this.#padPositions = padPositions;
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
    if (this.#disposed) return { device: 'cpu', weightBytes: 0, workspaceBytes: 0 };
    return { device: 'cpu', weightBytes: this.weightBytes, workspaceBytes: this.workspaceBytes };
  }

  /**
   * Encodes a padded batch. Outputs at padded positions are Hugging Face's (the default `padPositions:
   * 'compute'`) or zeros (`'skip'`).
   * @throws InvalidArgumentError / InputTooLongError for malformed input, SessionDisposedError after dispose.
   */
  async run(input: EncoderInput, options: EncoderRunOptions = {}): Promise<EncoderOutput> {
    if (this.#disposed) throw new SessionDisposedError('cpu session');
    const config = this.model.config;
    validateEncoderInput(input, config);
    const observe = checkObserve(options.observe, config.numHiddenLayers);
    const job = this.#queue.then(async () => {
      if (this.#disposed) throw new SessionDisposedError('cpu session');
      try {
        return await this.#binding.runSession(
          this.#handle,
          {
            inputIds: input.inputIds,
            attentionMask: input.attentionMask,
            ...(input.tokenTypeIds === undefined ? {} : { tokenTypeIds: input.tokenTypeIds }),
            batchSize: input.batchSize,
            sequenceLength: input.sequenceLength,
          },
          {
            outputHiddenStates: options.outputHiddenStates === true,
            computePadding: this.#padPositions === 'compute',
            observe,
          },
        );
      } catch (error) {
        throw fromNativeError(error);
      }
    });
    this.#queue = job.catch(() => undefined);
    const result = await job;
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

  /** Frees the native weights (once runs in flight finish); idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#binding.disposeSession(this.#handle);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
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
