import { ModelConfigError } from '../errors/model-errors';
import { showJson } from './json-file';

function show(value: unknown): string {
  // showJson, not JSON.stringify: a deeply nested field value would overflow the stack here.
  return typeof value === 'string' ? `"${value}"` : showJson(value);
}

/**
 * Typed access to the fields of a parsed JSON object, with defaults for absent fields. Every wrong
 * type or value throws a `ModelConfigError` that names the file and the field.
 */
export class ConfigFields {
  /** The parsed object and the file it came from (for error messages). */
  constructor(
    readonly raw: Readonly<Record<string, unknown>>,
    readonly file: string,
  ) {}

  /** True when the field is present and not `null`. */
  has(field: string): boolean {
    return this.raw[field] !== undefined && this.raw[field] !== null;
  }

  /** A `ModelConfigError` naming this file and `field`. */
  error(field: string, problem: string): ModelConfigError {
    return new ModelConfigError({ file: this.file, field }, problem);
  }

  /** An integer ≥ `min` (1 unless given); `fallback` when the field is absent. */
  integer(field: string, fallback: number, min = 1): number {
    if (!this.has(field)) {
      if (field in this.raw) throw this.error(field, `expected an integer ≥ ${min}, got null`);
      return fallback;
    }
    const value = this.raw[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw this.error(field, `expected an integer ≥ ${min}, got ${show(value)}`);
    }
    return value;
  }

  /** A finite number > 0; `fallback` when the field is absent. */
  positiveNumber(field: string, fallback: number): number {
    if (!this.has(field)) {
      if (field in this.raw) throw this.error(field, 'expected a positive number, got null');
      return fallback;
    }
    const value = this.raw[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw this.error(field, `expected a positive number, got ${show(value)}`);
    }
    return value;
  }

  /** A boolean; `fallback` when the field is absent or null. */
  boolean(field: string, fallback: boolean): boolean {
    if (!this.has(field)) return fallback;
    const value = this.raw[field];
    if (typeof value !== 'boolean') throw this.error(field, `expected true or false, got ${show(value)}`);
    return value;
  }

  /** A string; `undefined` when the field is absent or null. */
  optionalString(field: string): string | undefined {
    if (!this.has(field)) return undefined;
    const value = this.raw[field];
    if (typeof value !== 'string') throw this.error(field, `expected a string, got ${show(value)}`);
    return value;
  }

  /** A string; `fallback` when the field is absent or null. */
  string(field: string, fallback: string): string {
    return this.optionalString(field) ?? fallback;
  }

  /** One of `accepted`; `fallback` when absent or null. */
  oneOf<T extends string>(field: string, accepted: readonly T[], fallback: T): T {
    const value = this.string(field, fallback);
    if (!(accepted as readonly string[]).includes(value)) {
      throw this.error(field, `expected one of ${accepted.map((a) => `"${a}"`).join(', ')}, got "${value}"`);
    }
    return value as T;
  }
}
