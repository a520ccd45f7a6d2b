import { SampError, type SampErrorOptions } from '@samp/core';

/** A measurement-tables document (or a latency cache) is malformed, or does not fit the model. */
export class InvalidTablesError extends SampError {
  readonly source: string;
  readonly field: string | undefined;
  constructor(source: string, field: string | undefined, problem: string, options?: SampErrorOptions) {
    super(
      'SAMP_INVALID_RECOMMENDER_TABLES',
      `${source}${field === undefined ? '' : `, field "${field}"`}: ${problem}`,
      options,
    );
    this.source = source;
    this.field = field;
  }
}

/**
 * No evaluated plan meets the constraint the caller asked for. `closest` is the plan that comes
 * nearest (the fastest one for a latency limit) and `reason` says by how much it misses.
 */
export class ConstraintUnmetError extends SampError {
  readonly constraint: string;
  readonly reason: string;
  /** A short description of the closest plan (its layer codes, accuracy and latency). */
  readonly closest: string;
  constructor(constraint: string, reason: string, closest: string, options?: SampErrorOptions) {
    super(
      'SAMP_CONSTRAINT_UNMET',
      `no plan meets ${constraint}: ${reason}; closest plan: ${closest}`,
      options,
    );
    this.constraint = constraint;
    this.reason = reason;
    this.closest = closest;
  }
}
