import type { ModelArtifacts } from '../model/model-artifacts';
import type { SessionPrecision } from '../quant/precision';
import type { PrecisionPlan } from '../quant/precision-plan';
import type { QuantProfile } from '../quant/quant-profile';

/** Whether a backend can run here. */
export type BackendProbeStatus = 'available' | 'not-built' | 'unavailable' | 'failed';

/**
 * What a backend found out about this machine: `available`, `not-built` (its native binding is absent),
 * `unavailable` (no GPU, CPU lacks a feature…) or `failed` (the probe itself broke).
 */
export interface BackendProbe {
  status: BackendProbeStatus;
  /** Why the backend is not available; set whenever `status` is not `available`. */
  reason?: string;
  /** Facts for `samp doctor` and bug reports: CPU features, GPU name, driver and CUDA versions, … */
  details: Record<string, string | number | boolean | string[]>;
}

/** How a session is opened. */
export interface EncoderSessionOptions {
  /** The precision of every layer the plan does not set (default `fp32`). */
  precision?: SessionPrecision;
  /** Per-layer / per-GEMM precisions; must match the model (`checkPlanMatches`). */
  plan?: PrecisionPlan;
  /** Activation scales, required by any INT8 or FP8 layer; must match the model (`checkProfileMatches`). */
  profile?: QuantProfile;
  /** CPU threads (default: the backend's choice, usually the physical core count). */
  threads?: number;
  /** Which GPU (default 0). */
  deviceIndex?: number;
}

/**
 * A padded, row-major batch: `batchSize` rows of `sequenceLength` tokens each. `attentionMask` is 1 for
 * real tokens and 0 for padding; padding only ever follows the real tokens of a row. One run takes at
 * most the model's positions per row (`maxSequenceLength`) and `MAX_TOKENS_PER_RUN` (65,536) padded
 * tokens in all, unless the backend documents another limit.
 */
export interface EncoderInput {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  /** Segment ids; all zeros when absent (and always absent for models with `typeVocabSize` 0). */
  tokenTypeIds?: Int32Array;
  batchSize: number;
  sequenceLength: number;
}

/** What a run returns besides the last hidden state. */
export interface EncoderRunOptions {
  /**
   * Also return the hidden states of every layer (`hiddenStates`), as Hugging Face's
   * `output_hidden_states` does (default false).
   */
  outputHiddenStates?: boolean;
  /**
   * Activation tensors to return in `observed`, by the names of `LAYER_ACTIVATION_TAPS`
   * (`layers.3.attention.scores`, …). Calibration uses them. A backend that cannot observe a name
   * throws InvalidArgumentError naming it.
   */
  observe?: readonly string[];
}

/** An observed activation tensor (layout: `activationTensorShape`). */
export interface ObservedTensor {
  data: Float32Array;
  shape: number[];
}

/**
 * The encoder's output for a batch. Values at padded positions are unspecified (backends that remove
 * padding may leave zeros there); consumers select rows and positions with the input's attention mask.
 */
export interface EncoderOutput {
  /** `[batchSize, sequenceLength, hiddenSize]`, row-major. */
  lastHiddenState: Float32Array;
  batchSize: number;
  sequenceLength: number;
  hiddenSize: number;
  /**
   * With `outputHiddenStates`: `numHiddenLayers + 1` tensors shaped like `lastHiddenState`, the
   * encoder's input (after any embedding projection) first and the last layer's output last.
   */
  hiddenStates?: Float32Array[];
  /** With `observe`: each requested tensor by name. */
  observed?: Record<string, ObservedTensor>;
}

/**
 * The memory a session holds now, for monitoring (`samp serve`'s `/metrics`). Byte counts are what the
 * backend itself allocated for the session; allocator overhead and shared runtime state (a CUDA context,
 * thread pools) are not included.
 */
export interface SessionMemoryUsage {
  /** Where the bytes live: `cpu`, or `cuda:<index>` for a GPU (`<name>:<index>` for other accelerators). */
  device: string;
  /** Bytes of the model's weights as the session stores them (0 once disposed). */
  weightBytes: number;
  /** Bytes of run workspace (activations, scratch) the session keeps between runs (0 once disposed). */
  workspaceBytes: number;
}

/**
 * A model loaded on a backend at a fixed precision. Runs may overlap; `dispose` frees native memory and
 * may be called more than once. A run after `dispose` rejects with SessionDisposedError.
 * @example
 * await using session = await backend.createSession(model, { precision: 'fp16' });
 * const { lastHiddenState } = await session.run(batch);
 */
export interface EncoderSession {
  readonly model: ModelArtifacts;
  /** The precision the session was opened at. */
  readonly precision: SessionPrecision;
  /** The plan in force, if any. */
  readonly plan: PrecisionPlan | undefined;
  /**
   * Rejects with InvalidArgumentError / InputTooLongError for malformed input and for a batch over the
   * limits (see `validateEncoderInput`); a refused run leaves the session usable.
   */
  run(input: EncoderInput, options?: EncoderRunOptions): Promise<EncoderOutput>;
  /**
   * What the session holds now, in bytes; synchronous and cheap (no GPU work), so monitors may call it
   * at every scrape. Optional: a backend that cannot tell leaves it out.
   */
  memoryUsage?(): SessionMemoryUsage;
  /** Frees the session's resources; idempotent. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The backend specification, version 1: what `@samp/encoder-cpu-vnni`, `@samp/encoder-cuda` and any
 * third-party backend implement, and what the registry resolves.
 * @example
 * const backend: EncoderBackendV1 = {
 *   specificationVersion: 'v1',
 *   name: 'cpu-vnni',
 *   device: 'cpu',
 *   probe: async () => ({ status: 'available', details: { isa: 'avx512-vnni' } }),
 *   createSession: async (model, options) => openNativeSession(model, options),
 * };
 */
export interface EncoderBackendV1 {
  readonly specificationVersion: 'v1';
  /** Unique registry name, e.g. `cuda`, `cpu-vnni`. */
  readonly name: string;
  /** The kind of device it runs on: `cpu`, `cuda`, or another name for other accelerators. */
  readonly device: 'cpu' | 'cuda' | (string & {});
  /** Never throws: a broken probe resolves with status `failed`. */
  probe(): Promise<BackendProbe>;
  createSession(model: ModelArtifacts, options?: EncoderSessionOptions): Promise<EncoderSession>;
}

/**
 * True when `value` looks like an {@link EncoderBackendV1} (checks the version marker and members,
 * not behaviour).
 */
export function isEncoderBackendV1(value: unknown): value is EncoderBackendV1 {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.specificationVersion === 'v1' &&
    typeof v.name === 'string' &&
    typeof v.device === 'string' &&
    typeof v.probe === 'function' &&
    typeof v.createSession === 'function'
  );
}
