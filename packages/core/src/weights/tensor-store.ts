/** Element types samp reads from checkpoints. */
export type DType = 'F32' | 'F16' | 'BF16';

/** Bytes per element of each supported dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = { F32: 4, F16: 2, BF16: 2 };

/** Where one tensor lives: enough to read it later without holding the file in memory. */
export interface TensorInfo {
  /** The tensor's name as stored in the checkpoint (e.g. `bert.encoder.layer.0.attention.self.query.weight`). */
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** The file that holds its bytes. */
  readonly file: string;
  /** Absolute byte offset of the first element in `file`. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

/** A tensor left out of a store because of its dtype (only with `skipUnsupportedDtypes`). */
export interface SkippedTensor {
  readonly name: string;
  /** The stored dtype, e.g. `I64` (safetensors) or `LongStorage` (torch). */
  readonly dtype: string;
}

/** Options of the checkpoint readers (`openWeights`, `openSafetensors`, …). */
export interface OpenWeightsOptions {
  /**
   * Leave tensors of unsupported dtypes (e.g. an int64 `position_ids` buffer) out of the store and list
   * them in `skipped`, instead of refusing the checkpoint with `UnsupportedDtypeError`. Default `false`.
   */
  readonly skipUnsupportedDtypes?: boolean;
}

/**
 * The tensors of a checkpoint (one safetensors file, a sharded set, or a pytorch_model.bin),
 * indexed by name. Reading a tensor reads only its own bytes.
 */
export interface TensorStore {
  /** Every tensor, in the checkpoint's order. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The checkpoint's files (one, or every shard). */
  readonly files: readonly string[];
  /** Tensors left out because of their dtype (only with `skipUnsupportedDtypes`); absent means none. */
  readonly skipped?: readonly SkippedTensor[];
  /** The raw little-endian bytes of a tensor, exactly as stored. */
  readBytes(name: string): Promise<Uint8Array>;
  /** A tensor converted to float32 (F16 and BF16 are widened exactly). */
  readFloat32(name: string): Promise<Float32Array>;
}
