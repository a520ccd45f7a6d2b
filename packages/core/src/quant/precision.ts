/**
 * The precisions a whole encoder layer can run at. `int8-full` is SAMP's Fully-Quant mode (every GEMM
 * of the layer in INT8, attention matmuls included); `int8-ffn` is SAMP's Quant-FFN-Only mode (the two
 * feed-forward GEMMs in INT8, the attention block at the session's float precision).
 */
export const LAYER_PRECISIONS = ['fp32', 'fp16', 'fp8', 'int8-full', 'int8-ffn'] as const;

/** One of {@link LAYER_PRECISIONS}. */
export type LayerPrecision = (typeof LAYER_PRECISIONS)[number];

/**
 * The GEMMs of one encoder layer, by role: the fused query/key/value projection, the attention
 * matmuls (`Q·Kᵀ` and `probs·V`), the attention output projection and the two feed-forward GEMMs.
 */
export const GEMM_NAMES = [
  'qkv',
  'attention-scores',
  'attention-context',
  'attention-output',
  'ffn-intermediate',
  'ffn-output',
] as const;

/** One of {@link GEMM_NAMES}. */
export type GemmName = (typeof GEMM_NAMES)[number];

/** The precisions a single GEMM can run at. */
export const GEMM_PRECISIONS = ['fp32', 'fp16', 'fp8', 'int8'] as const;

/** One of {@link GEMM_PRECISIONS}. */
export type GemmPrecision = (typeof GEMM_PRECISIONS)[number];

/**
 * The precision a session is opened at (`EncoderSessionOptions.precision`); a PrecisionPlan refines it
 * layer by layer.
 */
export const SESSION_PRECISIONS = ['fp32', 'fp16', 'int8', 'fp8'] as const;

/** One of {@link SESSION_PRECISIONS}. */
export type SessionPrecision = (typeof SESSION_PRECISIONS)[number];

/** True when `value` is one of {@link LAYER_PRECISIONS}. */
export function isLayerPrecision(value: unknown): value is LayerPrecision {
  return typeof value === 'string' && (LAYER_PRECISIONS as readonly string[]).includes(value);
}

/** True when `value` is one of {@link GEMM_NAMES}. */
export function isGemmName(value: unknown): value is GemmName {
  return typeof value === 'string' && (GEMM_NAMES as readonly string[]).includes(value);
}

/** True when `value` is one of {@link GEMM_PRECISIONS}. */
export function isGemmPrecision(value: unknown): value is GemmPrecision {
  return typeof value === 'string' && (GEMM_PRECISIONS as readonly string[]).includes(value);
}

/** True when `value` is one of {@link SESSION_PRECISIONS}. */
export function isSessionPrecision(value: unknown): value is SessionPrecision {
  return typeof value === 'string' && (SESSION_PRECISIONS as readonly string[]).includes(value);
}

/**
 * The precision of every GEMM of a layer run at `layer`, before any per-GEMM override of a plan.
 * `floatPrecision` is what the non-quantized GEMMs of the INT8 modes run at: `fp16` on GPUs (SAMP's
 * choice), `fp32` on CPUs without fast half precision.
 * @param layer the layer's precision.
 * @param floatPrecision precision of the GEMMs an INT8 mode leaves in floating point (default `fp16`).
 * @example
 * gemmPrecisionsOf('int8-ffn');
 * // { qkv: 'fp16', 'attention-scores': 'fp16', …, 'ffn-intermediate': 'int8', 'ffn-output': 'int8' }
 */
export function gemmPrecisionsOf(
  layer: LayerPrecision,
  floatPrecision: 'fp32' | 'fp16' = 'fp16',
): Record<GemmName, GemmPrecision> {
  const all = (p: GemmPrecision): Record<GemmName, GemmPrecision> =>
    Object.fromEntries(GEMM_NAMES.map((g) => [g, p])) as Record<GemmName, GemmPrecision>;
  switch (layer) {
    case 'fp32':
    case 'fp16':
    case 'fp8':
      return all(layer);
    case 'int8-full':
      return all('int8');
    case 'int8-ffn':
      return { ...all(floatPrecision), 'ffn-intermediate': 'int8', 'ffn-output': 'int8' };
  }
}
