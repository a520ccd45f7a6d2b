const marker = Symbol.for('samp.error');

/** Options every tokenizer error accepts. */
export interface TokenizerErrorOptions {
  /** The underlying error, when one caused this one. */
  cause?: unknown;
}

/**
 * Base class of the errors `@samp/tokenizer` throws. Each has a stable `code`; the `Symbol.for('samp.error')`
 * marker makes `SampError.isInstance` from `@samp/core` recognise it without a run-time dependency on core.
 */
export class TokenizerError extends Error {
  /** A stable, machine-readable code such as `SAMP_TOKENIZER_VOCAB`. */
  readonly code: string;
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through Symbol.for by SampError.isInstance.
  private readonly [marker] = true;

  constructor(code: string, message: string, options: TokenizerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any tokenizer error, whichever copy of the package created it. */
  static isInstance(value: unknown): value is TokenizerError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[marker] === true &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (value as { code: string }).code.startsWith('SAMP_TOKENIZER_')
    );
  }
}

/** A vocabulary that cannot be used: empty, unreadable, or missing a required special token. */
export class VocabError extends TokenizerError {
  /** The file the vocabulary came from, when there is one. */
  readonly file: string | undefined;
  constructor(message: string, file?: string, options?: TokenizerErrorOptions) {
    super('SAMP_TOKENIZER_VOCAB', file === undefined ? message : `${file}: ${message}`, options);
    this.file = file;
  }
}

/** A model folder's tokenizer files (tokenizer_config.json, tokenizer.json, …) are missing or malformed. */
export class TokenizerConfigError extends TokenizerError {
  readonly file: string;
  /** The JSON field concerned, if any. */
  readonly field: string | undefined;
  constructor(file: string, problem: string, field?: string, options?: TokenizerErrorOptions) {
    super(
      'SAMP_TOKENIZER_CONFIG',
      `${file}${field === undefined ? '' : `, field "${field}"`}: ${problem}`,
      options,
    );
    this.file = file;
    this.field = field;
  }
}

/** An option has a value outside what it accepts. */
export class TokenizerOptionError extends TokenizerError {
  readonly option: string;
  constructor(option: string, problem: string) {
    super('SAMP_TOKENIZER_OPTION', `option "${option}": ${problem}`);
    this.option = option;
  }
}

/** The input is not what the tokenizer accepts (not a string, wrong shape). */
export class TokenizerInputError extends TokenizerError {
  /** Where in a batch the bad input is, when it is in a batch. */
  readonly index: number | undefined;
  constructor(problem: string, index?: number) {
    super('SAMP_TOKENIZER_INPUT', index === undefined ? problem : `input ${index}: ${problem}`);
    this.index = index;
  }
}

/** Truncation cannot satisfy the requested length (e.g. `only_second` without a second text). */
export class TruncationError extends TokenizerError {
  constructor(problem: string) {
    super('SAMP_TOKENIZER_TRUNCATION', problem);
  }
}

/** The worker pool failed (a worker died, or the pool was used after dispose). */
export class TokenizerPoolError extends TokenizerError {
  constructor(problem: string, options?: TokenizerErrorOptions) {
    super('SAMP_TOKENIZER_POOL', problem, options);
  }
}
