const marker = Symbol.for('samp.error');

/** Options every samp error accepts. */
export interface SampErrorOptions {
  /** The underlying error, when one caused this one. */
  cause?: unknown;
}

/**
 * Base class of every error samp throws. Each subclass has a stable `code` and structured fields;
 * `SampError.isInstance` works across copies of the package (it checks a `Symbol.for` marker, not
 * the prototype chain).
 */
export class SampError extends Error {
  /** A stable, machine-readable code such as `SAMP_MODEL_FORMAT`. */
  readonly code: string;
  readonly [marker] = true;

  constructor(code: string, message: string, options: SampErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any samp error, whichever copy of the package created it. */
  static isInstance(value: unknown): value is SampError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
