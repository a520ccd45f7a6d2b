/**
 * Small dependency-free helpers the QuantProfile and PrecisionPlan validators share: each check names
 * the field path (`layers[3].precision`, `activations["layers.0.attention.scores"].scale`) and what was
 * expected, through the caller's `fail`, which throws the document's own error class.
 * @internal
 */
export type Fail = (path: string, problem: string) => never;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The path of a property of the value at `path`. */
export function fieldPath(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** The path of an array element of the value at `path`. */
export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Reads one JSON document, reporting every problem with its field path. */
export class DocumentReader {
  constructor(readonly fail: Fail) {}

  object(value: unknown, path: string, allowed?: readonly string[]): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `expected an object, got ${describeValue(value)}`);
    }
    const record = value as Record<string, unknown>;
    if (allowed !== undefined) {
      for (const key of Object.keys(record)) {
        if (!allowed.includes(key)) {
          this.fail(fieldPath(path, key), `unknown field (expected only ${allowed.join(', ')})`);
        }
      }
    }
    return record;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, `expected an array, got ${describeValue(value)}`);
    return value;
  }

  string(value: unknown, path: string, options: { nonEmpty?: boolean } = {}): string {
    if (typeof value !== 'string') this.fail(path, `expected a string, got ${describeValue(value)}`);
    if (options.nonEmpty === true && value.length === 0) this.fail(path, 'expected a non-empty string');
    return value;
  }

  literal<T extends string | number>(value: unknown, path: string, expected: T): T {
    if (value !== expected)
      this.fail(path, `expected ${JSON.stringify(expected)}, got ${describeValue(value)}`);
    return expected;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(path, `expected one of ${allowed.join(', ')}, got ${describeValue(value)}`);
    }
    return value as T;
  }

  /** A finite number within the given bounds. */
  number(
    value: unknown,
    path: string,
    bounds: { min?: number; exclusiveMin?: number; max?: number; integer?: boolean } = {},
  ): number {
    const kind = bounds.integer === true ? 'an integer' : 'a finite number';
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (bounds.integer === true && !Number.isInteger(value))
    ) {
      this.fail(path, `expected ${kind}, got ${describeValue(value)}`);
    }
    if (bounds.min !== undefined && value < bounds.min)
      this.fail(path, `expected ${kind} ≥ ${bounds.min}, got ${value}`);
    if (bounds.exclusiveMin !== undefined && value <= bounds.exclusiveMin) {
      this.fail(path, `expected ${kind} > ${bounds.exclusiveMin}, got ${value}`);
    }
    if (bounds.max !== undefined && value > bounds.max)
      this.fail(path, `expected ${kind} ≤ ${bounds.max}, got ${value}`);
    return value;
  }

  /** An array of positive finite numbers (scales, smoothing factors). */
  positiveNumbers(value: unknown, path: string): number[] {
    const items = this.array(value, path);
    if (items.length === 0) this.fail(path, 'expected a non-empty array of positive numbers');
    return items.map((item, i) => this.number(item, indexPath(path, i), { exclusiveMin: 0 }));
  }

  /** An RFC 3339 date-time string (`2024-05-01T12:00:00Z`). */
  dateTime(value: unknown, path: string): string {
    const text = this.string(value, path);
    if (
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) ||
      Number.isNaN(Date.parse(text))
    ) {
      this.fail(
        path,
        `expected an RFC 3339 date-time such as 2024-05-01T12:00:00Z, got ${describeValue(text)}`,
      );
    }
    return text;
  }
}

/**
 * Compares tensor names so that layer indices sort numerically (`layers.2` before `layers.10`), which
 * keeps written documents in a stable, readable order.
 */
export function compareTensorNames(a: string, b: string): number {
  // Hand-written rather than localeCompare so the order never depends on the ICU build.
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    // Odd chunks are digit runs (split keeps the captured separators).
    if (i % 2 === 1) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** The entries of a record sorted by {@link compareTensorNames}. */
export function sortedEntries<T>(record: Record<string, T>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => compareTensorNames(a, b));
}
