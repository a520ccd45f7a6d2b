import { type LayerActivationTap, parseActivationTensorName } from '@samp/core';

/**
 * Where SmoothQuant factors can be folded into a layer's weights without changing what the FP32 model
 * computes: the activation they divide, the weights that produce it (their output rows and bias divided
 * by s), the weight that consumes it (its input columns multiplied by s), and every observed tap the
 * division reaches.
 */
export interface SmoothingSite {
  /** The activation the factors divide (the INT8 GEMM input that gets smoother). */
  readonly tap: LayerActivationTap;
  /** Weights of the producing Linear whose output channel j is divided by s_j (`[out, in]` rows, bias entries). */
  readonly producerWeight: string;
  readonly producerBias: string;
  /** The consuming Linear's weight, whose input column j is multiplied by s_j. */
  readonly consumerWeight: string;
  /** Taps whose channel j becomes x_j / s_j in the smoothed model (their calibration divides by s). */
  readonly dividedTaps: readonly LayerActivationTap[];
}

/**
 * The sites samp folds: the attention context (`probs · V`, the input of the attention-output GEMM).
 * Dividing V's channel j by s_j divides the context's channel j by s_j exactly, because the attention
 * probabilities only mix positions, never channels; the attention-output weight's column j times s_j
 * restores the product.
 *
 * The LayerNorm outputs (`attention.qkv.input`, `ffn.intermediate.input`) are not sites: BERT-family
 * encoders are post-LayerNorm, so those tensors are also the residual stream that the next LayerNorm
 * reads, and dividing LayerNorm's gamma and beta by s would change the model's output. Smoothing them
 * needs a backend that divides by s when it quantizes the GEMM input.
 */
export const SMOOTHING_SITES: readonly SmoothingSite[] = [
  {
    tap: 'attention.context',
    producerWeight: 'attention.value.weight',
    producerBias: 'attention.value.bias',
    consumerWeight: 'attention.output.weight',
    dividedTaps: ['attention.value', 'attention.context'],
  },
];

/** The site of an activation name (`layers.3.attention.context`) with its layer; undefined if none. */
export function smoothingSiteOf(name: string): { layer: number; site: SmoothingSite } | undefined {
  const parsed = parseActivationTensorName(name);
  if (parsed?.kind !== 'layer') return undefined;
  const site = SMOOTHING_SITES.find((s) => s.tap === parsed.tap);
  return site === undefined ? undefined : { layer: parsed.layer, site };
}
