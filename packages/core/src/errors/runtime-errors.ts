import { SampError, type SampErrorOptions } from './samp-error';

/** The native binding of a backend could not be found; lists every path tried and how to fix it. */
export class BindingNotFoundError extends SampError {
  readonly backend: string;
  readonly pathsTried: readonly string[];
  constructor(backend: string, pathsTried: readonly string[], fix: string, options?: SampErrorOptions) {
    super(
      'SAMP_BINDING_NOT_FOUND',
      `the ${backend} native binding was not found; tried:\n${pathsTried.map((p) => `  - ${p}`).join('\n')}\n${fix}`,
      options,
    );
    this.backend = backend;
    this.pathsTried = pathsTried;
  }
}

/** The native binding of a backend exists but failed to load (wrong ABI, missing library…). */
export class BindingLoadError extends SampError {
  readonly backend: string;
  readonly path: string;
  constructor(backend: string, path: string, reason: string, options?: SampErrorOptions) {
    super(
      'SAMP_BINDING_LOAD_FAILED',
      `the ${backend} native binding at ${path} failed to load: ${reason}`,
      options,
    );
    this.backend = backend;
    this.path = path;
  }
}

/** This CPU lacks the instruction-set features a backend needs. */
export class UnsupportedCpuError extends SampError {
  readonly missingFeatures: readonly string[];
  constructor(missingFeatures: readonly string[], options?: SampErrorOptions) {
    super('SAMP_UNSUPPORTED_CPU', `this CPU lacks required features: ${missingFeatures.join(', ')}`, options);
    this.missingFeatures = missingFeatures;
  }
}

/** No usable GPU: no driver, no device, or the CUDA backend was not built. */
export class GpuUnavailableError extends SampError {
  readonly reason: string;
  constructor(reason: string, options?: SampErrorOptions) {
    super('SAMP_GPU_UNAVAILABLE', `no usable GPU: ${reason}`, options);
    this.reason = reason;
  }
}

/** The device ran out of memory; the session stays usable. */
export class DeviceOutOfMemoryError extends SampError {
  readonly device: string;
  readonly requestedBytes: number | undefined;
  constructor(device: string, requestedBytes?: number, options?: SampErrorOptions) {
    super(
      'SAMP_DEVICE_OUT_OF_MEMORY',
      `${device} is out of memory${requestedBytes === undefined ? '' : ` (asked for ${requestedBytes} bytes)`}`,
      options,
    );
    this.device = device;
    this.requestedBytes = requestedBytes;
  }
}

/** A PrecisionPlan is malformed, or does not fit the model it is used with. */
export class InvalidPlanError extends SampError {
  readonly source: string;
  readonly field: string | undefined;
  constructor(source: string, field: string | undefined, problem: string, options?: SampErrorOptions) {
    super(
      'SAMP_INVALID_PLAN',
      `${source}${field === undefined ? '' : `, field "${field}"`}: ${problem}`,
      options,
    );
    this.source = source;
    this.field = field;
  }
}

/** A QuantProfile is malformed, or was made for another model. */
export class InvalidProfileError extends SampError {
  readonly source: string;
  readonly field: string | undefined;
  constructor(source: string, field: string | undefined, problem: string, options?: SampErrorOptions) {
    super(
      'SAMP_INVALID_PROFILE',
      `${source}${field === undefined ? '' : `, field "${field}"`}: ${problem}`,
      options,
    );
    this.source = source;
    this.field = field;
  }
}

/** An input is longer than the model (or a documented limit) allows. */
export class InputTooLongError extends SampError {
  readonly length: number;
  readonly limit: number;
  constructor(what: string, length: number, limit: number, options?: SampErrorOptions) {
    super('SAMP_INPUT_TOO_LONG', `${what} has length ${length}, over the limit of ${limit}`, options);
    this.length = length;
    this.limit = limit;
  }
}

/** An argument passed to a samp function is invalid (wrong type, out of range, unknown option). */
export class InvalidArgumentError extends SampError {
  readonly argument: string;
  constructor(argument: string, problem: string, options?: SampErrorOptions) {
    super('SAMP_INVALID_ARGUMENT', `${argument}: ${problem}`, options);
    this.argument = argument;
  }
}

/** A session was used after `dispose()`. */
export class SessionDisposedError extends SampError {
  constructor(what = 'session') {
    super('SAMP_SESSION_DISPOSED', `the ${what} has been disposed`);
  }
}

/** No backend could be used; names every backend tried and why it failed. */
export class NoBackendAvailableError extends SampError {
  readonly reasons: readonly { backend: string; reason: string }[];
  constructor(reasons: readonly { backend: string; reason: string }[]) {
    super(
      'SAMP_NO_BACKEND',
      `no backend is available:\n${reasons.map((r) => `  - ${r.backend}: ${r.reason}`).join('\n')}`,
    );
    this.reasons = reasons;
  }
}

/** A backend cannot run a precision it was asked for (e.g. fp16 or fp8 GEMMs on the cpu backend). */
export class UnsupportedPrecisionError extends SampError {
  readonly backend: string;
  readonly precision: string;
  /** Where the precision was asked for: `precision`, `plan.layers[2]`, … */
  readonly field: string;
  constructor(
    backend: string,
    precision: string,
    field: string,
    detail?: string,
    options?: SampErrorOptions,
  ) {
    super(
      'SAMP_UNSUPPORTED_PRECISION',
      `${field}: the ${backend} backend cannot run ${precision}${detail === undefined ? '' : ` (${detail})`}`,
      options,
    );
    this.backend = backend;
    this.precision = precision;
    this.field = field;
  }
}
