import { SampError, type SampErrorOptions } from './samp-error';

/** Where in a model folder a problem was found. */
export interface ModelLocation {
  /** The file that holds the problem (absolute or as given by the caller). */
  file: string;
  /** The tensor concerned, if any. */
  tensor?: string;
  /** The JSON field concerned (dotted path), if any. */
  field?: string;
}

function describe(location: ModelLocation): string {
  const parts = [location.file];
  if (location.tensor !== undefined) parts.push(`tensor "${location.tensor}"`);
  if (location.field !== undefined) parts.push(`field "${location.field}"`);
  return parts.join(', ');
}

/** Base of the errors about a model folder's files; names the file and the tensor or field. */
export class ModelFormatError extends SampError {
  readonly file: string;
  readonly tensor: string | undefined;
  readonly field: string | undefined;

  constructor(code: string, location: ModelLocation, problem: string, options?: SampErrorOptions) {
    super(code, `${describe(location)}: ${problem}`, options);
    this.file = location.file;
    this.tensor = location.tensor;
    this.field = location.field;
  }

  /** True for any model-format error, whichever copy of the package created it. */
  static override isInstance(value: unknown): value is ModelFormatError {
    return SampError.isInstance(value) && value.code.startsWith('SAMP_MODEL_');
  }
}

/** A file the model needs is absent (config.json, a weights file, a shard named by the index). */
export class ModelFileNotFoundError extends ModelFormatError {
  constructor(location: ModelLocation, problem: string, options?: SampErrorOptions) {
    super('SAMP_MODEL_FILE_NOT_FOUND', location, problem, options);
  }
}

/** `config.json` (or another JSON file of the model) is malformed or has a field of the wrong type. */
export class ModelConfigError extends ModelFormatError {
  constructor(location: ModelLocation, problem: string, options?: SampErrorOptions) {
    super('SAMP_MODEL_CONFIG', location, problem, options);
  }
}

/** `config.json` names a `model_type` samp does not support. */
export class UnsupportedModelTypeError extends ModelFormatError {
  readonly modelType: string;
  constructor(location: ModelLocation, modelType: string, supported: readonly string[]) {
    super(
      'SAMP_MODEL_UNSUPPORTED_TYPE',
      { ...location, field: location.field ?? 'model_type' },
      `model_type "${modelType}" is not supported (expected one of ${supported.join(', ')})`,
    );
    this.modelType = modelType;
  }
}

/** A safetensors file is truncated, has a malformed header, or offsets that overlap or run past the file. */
export class SafetensorsFormatError extends ModelFormatError {
  constructor(location: ModelLocation, problem: string, options?: SampErrorOptions) {
    super('SAMP_MODEL_SAFETENSORS', location, problem, options);
  }
}

/** A tensor is stored in a dtype samp cannot read (only F32, F16 and BF16 are). */
export class UnsupportedDtypeError extends ModelFormatError {
  readonly dtype: string;
  constructor(location: ModelLocation, dtype: string, supported: readonly string[]) {
    super(
      'SAMP_MODEL_UNSUPPORTED_DTYPE',
      location,
      `dtype ${dtype} is not supported (expected one of ${supported.join(', ')})`,
    );
    this.dtype = dtype;
  }
}

/** A sharded checkpoint's index is malformed or names a shard that is absent. */
export class ShardIndexError extends ModelFormatError {
  constructor(location: ModelLocation, problem: string, options?: SampErrorOptions) {
    super('SAMP_MODEL_SHARD_INDEX', location, problem, options);
  }
}

/** A `pytorch_model.bin` is not a readable torch zip archive or pickle. */
export class PickleFormatError extends ModelFormatError {
  constructor(location: ModelLocation, problem: string, options?: SampErrorOptions) {
    super('SAMP_MODEL_PICKLE', location, problem, options);
  }
}

/**
 * A pickle asked for a global outside the tensor-rebuild allow-list (for example `os.system`).
 * Nothing is ever executed: the unpickler refuses before doing anything with it.
 */
export class UnsafePickleError extends ModelFormatError {
  readonly global: string;
  constructor(location: ModelLocation, global: string) {
    super(
      'SAMP_MODEL_UNSAFE_PICKLE',
      location,
      `the pickle asks for the global "${global}", which is not a tensor-rebuild function; refused without executing anything`,
    );
    this.global = global;
  }
}

/** The weights do not fit the architecture: tensors missing, unexpected, or of the wrong shape. */
export class WeightMismatchError extends ModelFormatError {
  readonly missing: readonly string[];
  readonly unexpected: readonly string[];
  readonly misshaped: readonly { tensor: string; expected: readonly number[]; actual: readonly number[] }[];
  constructor(
    file: string,
    details: {
      missing: readonly string[];
      unexpected: readonly string[];
      misshaped: readonly { tensor: string; expected: readonly number[]; actual: readonly number[] }[];
    },
  ) {
    const lines: string[] = [];
    if (details.missing.length > 0) lines.push(`missing tensors: ${details.missing.join(', ')}`);
    if (details.unexpected.length > 0) lines.push(`unexpected tensors: ${details.unexpected.join(', ')}`);
    for (const m of details.misshaped) {
      lines.push(
        `tensor "${m.tensor}" has shape [${m.actual.join(', ')}], expected [${m.expected.join(', ')}]`,
      );
    }
    const first = details.missing[0] ?? details.misshaped[0]?.tensor ?? details.unexpected[0];
    super(
      'SAMP_MODEL_WEIGHT_MISMATCH',
      first === undefined ? { file } : { file, tensor: first },
      lines.join('; '),
    );
    this.missing = details.missing;
    this.unexpected = details.unexpected;
    this.misshaped = details.misshaped;
  }
}

/** A vocabulary (vocab.txt or tokenizer.json) is empty, malformed, or lacks a required special token. */
export class VocabError extends ModelFormatError {
  constructor(location: ModelLocation, problem: string, options?: SampErrorOptions) {
    super('SAMP_MODEL_VOCAB', location, problem, options);
  }
}
