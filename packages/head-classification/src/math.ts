// Float64 arithmetic over float32 weights: every sum accumulates in a JS number (IEEE double), so
// the only rounding left is that of the stored weights and hidden states themselves.

/** A linear layer as PyTorch stores it: `weight` is `[outFeatures, inFeatures]`, row-major. */
export interface DenseLayer {
  readonly weight: Float32Array;
  readonly bias: Float32Array | undefined;
  readonly outFeatures: number;
  readonly inFeatures: number;
}

/**
 * `y = W x + b` in float64, reading `inFeatures` values of `x` from `offset`.
 * @example
 * const pooled = dense(layer, lastHiddenState, row * sequenceLength * hiddenSize);
 */
export function dense(layer: DenseLayer, x: ArrayLike<number>, offset = 0): Float64Array {
  const { weight, bias, outFeatures: out, inFeatures: n } = layer;
  const y = new Float64Array(out);
  for (let i = 0; i < out; i++) {
    let acc = bias === undefined ? 0 : (bias[i] as number);
    const w = i * n;
    for (let j = 0; j < n; j++) acc += (weight[w + j] as number) * (x[offset + j] as number);
    y[i] = acc;
  }
  return y;
}

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * The error function to about 1e-15 relative: the all-positive series
 * `erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1))`, which has no cancellation; beyond
 * |x| = 6 erf is ±1 in double precision.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const value = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  return x < 0 ? -value : value;
}

/** The exact (erf) GELU, as PyTorch's `nn.functional.gelu` and transformers' `gelu`. */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** Activations a classification head may apply between its layers. */
export type HeadActivation = 'tanh' | 'gelu' | 'relu' | 'none';

/** Applies `activation` in place and returns `values`. */
export function activate(values: Float64Array, activation: HeadActivation): Float64Array {
  switch (activation) {
    case 'tanh':
      for (let i = 0; i < values.length; i++) values[i] = Math.tanh(values[i] as number);
      break;
    case 'gelu':
      for (let i = 0; i < values.length; i++) values[i] = gelu(values[i] as number);
      break;
    case 'relu':
      for (let i = 0; i < values.length; i++) values[i] = Math.max(0, values[i] as number);
      break;
    case 'none':
      break;
  }
  return values;
}

/** Numerically stable softmax in float64. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  const out = new Array<number>(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] as number) - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/** The logistic function, without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Index of the largest value (the first one on ties); -1 for an empty array. */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (best === -1 || v > bestValue) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}
