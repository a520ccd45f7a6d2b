import { SampError, type SampErrorOptions } from '@samp/core';

/** The calibration set gave nothing to observe: no batches, or no real (unmasked) token in any batch. */
export class EmptyCalibrationSetError extends SampError {
  /** Where the data came from (a file name, or `batches`). */
  readonly source: string;
  constructor(source: string, problem: string, options?: SampErrorOptions) {
    super('SAMP_CALIBRATION_EMPTY', `${source}: ${problem}`, options);
    this.source = source;
  }
}

/**
 * A tensor the profile needs is missing or has the wrong shape: an activation the session did not return
 * (or returned with another layout), or a weight the model lacks.
 */
export class CalibrationTensorError extends SampError {
  /** `activation` (from the session's `observed`) or `weight` (from the model's weights). */
  readonly kind: 'activation' | 'weight';
  /** The tensor's name (`layers.3.attention.context`, `layers.3.attention.value.weight`). */
  readonly tensor: string;
  constructor(kind: 'activation' | 'weight', tensor: string, problem: string, options?: SampErrorOptions) {
    super('SAMP_CALIBRATION_TENSOR', `${kind} tensor ${tensor}: ${problem}`, options);
    this.kind = kind;
    this.tensor = tensor;
  }
}

/** An observed activation held NaN or ±Infinity, so no finite INT8 range exists for it. */
export class NonFiniteActivationError extends SampError {
  readonly tensor: string;
  /** The index of the batch (0-based, in the order the batches came) where it was seen. */
  readonly batch: number;
  constructor(tensor: string, batch: number, options?: SampErrorOptions) {
    super(
      'SAMP_CALIBRATION_NON_FINITE',
      `activation tensor ${tensor}: batch ${batch} holds NaN or Infinity at a real token (the FP32 model overflows on this input)`,
      options,
    );
    this.tensor = tensor;
    this.batch = batch;
  }
}

/**
 * SmoothQuant cannot be applied to this model or with these factors: layers that share their weights
 * (ALBERT), or factors that do not fit the tensors they scale.
 */
export class SmoothingError extends SampError {
  /** The activation (or weight) the problem is about. */
  readonly tensor: string;
  constructor(tensor: string, problem: string, options?: SampErrorOptions) {
    super('SAMP_SMOOTHING', `${tensor}: ${problem}`, options);
    this.tensor = tensor;
  }
}
