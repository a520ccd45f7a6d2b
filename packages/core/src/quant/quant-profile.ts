import type { ModelType } from '../model/model-config';

/** The `format` marker of a QuantProfile document. */
export const QUANT_PROFILE_FORMAT = 'samp.quant-profile';

/** The QuantProfile version this copy of samp reads and writes. */
export const QUANT_PROFILE_VERSION = 1;

/** How the calibration chose each activation's clipping range. */
export const CALIBRATION_METHODS = ['max', 'percentile', 'mse', 'entropy'] as const;

/** One of {@link CALIBRATION_METHODS}. */
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

/** The settings the calibration method ran with (method-specific keys are allowed). */
export interface CalibrationMethodOptions {
  /** `percentile`: the percentile of |x| kept, in (0, 100] (e.g. 99.99). */
  percentile?: number;
  /** SmoothQuant migration strength α in [0, 1], when smoothing factors were computed. */
  smoothQuantAlpha?: number;
  /** `entropy` / `mse`: histogram bins. */
  numBins?: number;
  /** Other method settings, recorded for reproducibility. */
  [key: string]: number | string | boolean | undefined;
}

/** The symmetric INT8 quantization of one activation tensor: `q = round(x / scale)`, clipped to ±127. */
export interface ActivationScale {
  /** Positive; the clipping range is `±127 · scale`. */
  scale: number;
  /** Always 0: samp quantizes symmetrically. Present only for readers that expect the field. */
  zeroPoint?: 0;
  /** The largest |x| observed during calibration, for reports. */
  absMax?: number;
}

/** Per-output-channel INT8 scales of one weight tensor. */
export interface WeightScales {
  /** One positive scale per output channel (the first dimension of the stored `[out, in]` weight). */
  perChannelScales: number[];
}

/**
 * The result of calibration, version 1: activation scales by tensor name (see
 * `LAYER_ACTIVATION_TAPS` for the naming convention), optional per-channel weight scales by canonical
 * weight name (`layers.3.attention.query.weight`) and optional SmoothQuant factors by the activation
 * they divide. Written as JSON by `writeQuantProfile`, read and validated by `readQuantProfile`.
 * @example
 * const profile: QuantProfile = {
 *   format: 'samp.quant-profile',
 *   version: 1,
 *   model: { fingerprint: model.fingerprint, modelType: 'bert', numHiddenLayers: 12, hiddenSize: 768 },
 *   method: 'percentile',
 *   methodOptions: { percentile: 99.99 },
 *   activations: { 'layers.0.attention.qkv.input': { scale: 0.031 } },
 * };
 */
export interface QuantProfile {
  format: typeof QUANT_PROFILE_FORMAT;
  version: typeof QUANT_PROFILE_VERSION;
  /** The model the profile was calibrated on; a profile is refused for any other model. */
  model: {
    fingerprint: string;
    modelType: ModelType;
    numHiddenLayers: number;
    hiddenSize: number;
  };
  method: CalibrationMethod;
  methodOptions?: CalibrationMethodOptions;
  /** RFC 3339 date-time of the calibration. */
  createdAt?: string;
  /** Activation tensor name → its scale. */
  activations: Record<string, ActivationScale>;
  /** Canonical weight name → its per-channel scales (backends compute them from the weights otherwise). */
  weights?: Record<string, WeightScales>;
  /** Activation tensor name → SmoothQuant per-channel factors (x / s, W · s). */
  smoothing?: Record<string, number[]>;
}
