import type { GemmName } from './precision';

/**
 * The activation taps of one encoder layer, as they appear after `layers.<i>.` in a tensor name.
 * This is the one place the naming convention is defined; calibration, profiles, backends' `observe`
 * option and the recommender all use it.
 *
 * | tap | tensor | layout of an observed tensor |
 * |---|---|---|
 * | `attention.qkv.input` | the layer's input (input of the QKV GEMM) | `[batch, seq, hidden]` |
 * | `attention.query` / `.key` / `.value` | outputs of the QKV GEMM (inputs of the attention matmuls) | `[batch, seq, hidden]` |
 * | `attention.scores` | `Q·Kᵀ/√d` plus the mask, before softmax | `[batch, heads, seq, seq]` |
 * | `attention.probs` | softmax output (input of `probs·V`) | `[batch, heads, seq, seq]` |
 * | `attention.context` | `probs·V`, heads merged: the input of the attention-output GEMM | `[batch, seq, hidden]` |
 * | `ffn.intermediate.input` | the attention block's output after LayerNorm (input of the first FFN GEMM) | `[batch, seq, hidden]` |
 * | `ffn.output.input` | the activation function's output (input of the second FFN GEMM) | `[batch, seq, intermediate]` |
 *
 * Besides the per-layer taps, `embeddings.output` is the embedding stage's output after LayerNorm and
 * before any factorized projection (ALBERT, ELECTRA-small); it is the same tensor as
 * `layers.0.attention.qkv.input` when the model has no projection.
 */
export const LAYER_ACTIVATION_TAPS = [
  'attention.qkv.input',
  'attention.query',
  'attention.key',
  'attention.value',
  'attention.scores',
  'attention.probs',
  'attention.context',
  'ffn.intermediate.input',
  'ffn.output.input',
] as const;

/** One of {@link LAYER_ACTIVATION_TAPS}. */
export type LayerActivationTap = (typeof LAYER_ACTIVATION_TAPS)[number];

/** The name of the embedding stage's output tap. */
export const EMBEDDINGS_OUTPUT = 'embeddings.output';

/**
 * The name of one layer's activation tap.
 * @example
 * layerActivationName(3, 'attention.scores'); // 'layers.3.attention.scores'
 */
export function layerActivationName(layer: number, tap: LayerActivationTap): string {
  return `layers.${layer}.${tap}`;
}

/**
 * Every activation tensor name of a model with `numLayers` layers: `embeddings.output`, then each
 * layer's taps in {@link LAYER_ACTIVATION_TAPS} order.
 * @example
 * activationTensorNames(2).length; // 1 + 2 × 9
 */
export function activationTensorNames(numLayers: number): string[] {
  const names = [EMBEDDINGS_OUTPUT];
  for (let i = 0; i < numLayers; i++) {
    for (const tap of LAYER_ACTIVATION_TAPS) names.push(layerActivationName(i, tap));
  }
  return names;
}

/** What an activation tensor name designates. */
export type ParsedActivationName =
  | { kind: 'embeddings' }
  | { kind: 'layer'; layer: number; tap: LayerActivationTap };

const LAYER_NAME = /^layers\.(0|[1-9]\d*)\.(.+)$/;

/**
 * Splits an activation tensor name into its layer and tap; `undefined` when it does not follow the
 * convention of {@link LAYER_ACTIVATION_TAPS}.
 */
export function parseActivationTensorName(name: string): ParsedActivationName | undefined {
  if (name === EMBEDDINGS_OUTPUT) return { kind: 'embeddings' };
  const m = LAYER_NAME.exec(name);
  if (m === null) return undefined;
  const tap = m[2] as LayerActivationTap;
  if (!(LAYER_ACTIVATION_TAPS as readonly string[]).includes(tap)) return undefined;
  return { kind: 'layer', layer: Number(m[1]), tap };
}

/** The taps whose scales an INT8 GEMM needs: the tensors it multiplies (weights aside). */
export const GEMM_INPUT_TAPS: Readonly<Record<GemmName, readonly LayerActivationTap[]>> = {
  qkv: ['attention.qkv.input'],
  'attention-scores': ['attention.query', 'attention.key'],
  'attention-context': ['attention.probs', 'attention.value'],
  'attention-output': ['attention.context'],
  'ffn-intermediate': ['ffn.intermediate.input'],
  'ffn-output': ['ffn.output.input'],
};

/**
 * The activation tensors a GEMM of a layer reads, whose scales an INT8 run of it needs.
 * @example
 * gemmInputTensorNames(0, 'attention-scores'); // ['layers.0.attention.query', 'layers.0.attention.key']
 */
export function gemmInputTensorNames(layer: number, gemm: GemmName): string[] {
  return GEMM_INPUT_TAPS[gemm].map((tap) => layerActivationName(layer, tap));
}

/** Sizes {@link activationTensorShape} needs from a model's config. */
export interface ActivationShapeConfig {
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numAttentionHeads: number;
  /** Width of the embedding output; differs from `hiddenSize` when the model projects embeddings. */
  readonly embeddingSize: number;
}

/**
 * The shape of an observed activation tensor for a padded batch of `batchSize` rows of
 * `sequenceLength` tokens (row-major, the last dimension is the channel); `undefined` for a name
 * outside the convention.
 */
export function activationTensorShape(
  name: string,
  config: ActivationShapeConfig,
  batchSize: number,
  sequenceLength: number,
): number[] | undefined {
  const parsed = parseActivationTensorName(name);
  if (parsed === undefined) return undefined;
  if (parsed.kind === 'embeddings') return [batchSize, sequenceLength, config.embeddingSize];
  switch (parsed.tap) {
    case 'attention.scores':
    case 'attention.probs':
      return [batchSize, config.numAttentionHeads, sequenceLength, sequenceLength];
    case 'ffn.output.input':
      return [batchSize, sequenceLength, config.intermediateSize];
    default:
      return [batchSize, sequenceLength, config.hiddenSize];
  }
}
