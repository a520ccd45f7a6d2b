import { SampError, type SampErrorOptions } from '@samp/core';

/**
 * Base of the errors a request to `samp serve` can get: each carries the HTTP status it is answered
 * with, next to samp's stable `code`.
 */
export class ServeError extends SampError {
  /** The HTTP status of the answer (4xx: the client's request; 5xx: the server). */
  readonly httpStatus: number;

  constructor(code: string, httpStatus: number, message: string, options?: SampErrorOptions) {
    super(code, message, options);
    this.httpStatus = httpStatus;
  }
}

/**
 * A request body that is not what `POST /v1/predict` takes: malformed JSON, a missing or unknown field,
 * a wrong type, a text over the length limit. `field` names the place (`inputs[3].text`); code
 * `SAMP_SERVE_INVALID_REQUEST`, HTTP 400.
 */
export class InvalidRequestError extends ServeError {
  /** The offending field as a JSON path (`inputs[3].text`), or `body` for the whole body. */
  readonly field: string;

  constructor(field: string, problem: string, options?: SampErrorOptions) {
    super('SAMP_SERVE_INVALID_REQUEST', 400, `${field}: ${problem}`, options);
    this.field = field;
  }
}

/** A request body over the server's byte limit. Code `SAMP_SERVE_BODY_TOO_LARGE`, HTTP 413. */
export class BodyTooLargeError extends ServeError {
  readonly limitBytes: number;

  constructor(limitBytes: number, options?: SampErrorOptions) {
    super(
      'SAMP_SERVE_BODY_TOO_LARGE',
      413,
      `the request body is over the limit of ${limitBytes} bytes (send fewer or shorter inputs per request)`,
      options,
    );
    this.limitBytes = limitBytes;
  }
}

/** The request names a model the server does not serve. Code `SAMP_SERVE_UNKNOWN_MODEL`, HTTP 404. */
export class UnknownModelError extends ServeError {
  readonly model: string;
  readonly served: readonly string[];

  constructor(model: string, served: readonly string[]) {
    super(
      'SAMP_SERVE_UNKNOWN_MODEL',
      404,
      `model: no model named ${JSON.stringify(model)} is served here (served: ${served.join(', ')})`,
    );
    this.model = model;
    this.served = served;
  }
}

/**
 * The model's queue is full: the request was refused at once rather than waiting without bound; retry
 * later or on another replica. Code `SAMP_SERVE_QUEUE_FULL`, HTTP 429.
 */
export class QueueFullError extends ServeError {
  readonly model: string;
  readonly capacity: number;

  constructor(model: string, capacity: number, requested: number) {
    super(
      'SAMP_SERVE_QUEUE_FULL',
      429,
      `the queue of model ${JSON.stringify(model)} is full (${capacity} inputs waiting at most; this request has ${requested}); retry later`,
    );
    this.model = model;
    this.capacity = capacity;
  }
}

/** The request was not answered within the server's per-request timeout. Code `SAMP_SERVE_TIMEOUT`, HTTP 504. */
export class RequestTimeoutError extends ServeError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('SAMP_SERVE_TIMEOUT', 504, `the request was not answered within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The server is shutting down and takes no new work. Code `SAMP_SERVE_CLOSING`, HTTP 503. */
export class ServerClosingError extends ServeError {
  constructor() {
    super('SAMP_SERVE_CLOSING', 503, 'the server is shutting down and takes no new requests');
  }
}
