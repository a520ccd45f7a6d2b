import { type ModelArtifacts, type ModelType, WeightMismatchError } from '@samp/core';
import { activate, type DenseLayer, dense, type HeadActivation } from './math';

/** One stage of a classifier: a linear layer followed by an activation. */
export interface ClassifierStage {
  /** The canonical weight name's stem, e.g. `pooler.dense` (for messages and tests). */
  readonly name: string;
  readonly layer: DenseLayer;
  readonly activation: HeadActivation;
}

/**
 * A `…ForSequenceClassification` head as a chain of stages applied to the first token's hidden state.
 * Every architecture reads the first token (`[CLS]` or `<s>`), then:
 * - BERT, ALBERT: pooler (dense + tanh), classifier;
 * - RoBERTa, XLM-R: `classifier.dense` + tanh, `classifier.out_proj`;
 * - ELECTRA: `classifier.dense` + exact GELU, `classifier.out_proj` (transformers' ElectraClassificationHead);
 * - DistilBERT: `pre_classifier` + ReLU, `classifier`.
 */
export interface SequenceClassifier {
  readonly modelType: ModelType;
  readonly hiddenSize: number;
  readonly numLabels: number;
  readonly stages: readonly ClassifierStage[];
}

/** The stages of each architecture's head, by canonical stem and the activation that follows. */
const STAGES: Readonly<Record<ModelType, readonly (readonly [string, HeadActivation])[]>> = {
  bert: [
    ['pooler.dense', 'tanh'],
    ['classifier', 'none'],
  ],
  albert: [
    ['pooler.dense', 'tanh'],
    ['classifier', 'none'],
  ],
  roberta: [
    ['classifier.dense', 'tanh'],
    ['classifier.out_proj', 'none'],
  ],
  'xlm-roberta': [
    ['classifier.dense', 'tanh'],
    ['classifier.out_proj', 'none'],
  ],
  electra: [
    ['classifier.dense', 'gelu'],
    ['classifier.out_proj', 'none'],
  ],
  distilbert: [
    ['pre_classifier', 'relu'],
    ['classifier', 'none'],
  ],
};

/** The canonical stems of the stages `modelType`'s sequence-classification head reads, in order. */
export function classifierStageNames(modelType: ModelType): readonly string[] {
  return STAGES[modelType].map(([name]) => name);
}

/**
 * Reads one linear layer (`<stem>.weight`, `<stem>.bias`) as float32, checking its size.
 * @throws WeightMismatchError naming the tensor when it is absent or of the wrong size.
 */
export async function readDenseLayer(
  model: ModelArtifacts,
  stem: string,
  outFeatures: number,
  inFeatures: number,
): Promise<DenseLayer> {
  const file = model.dir;
  const missing = [`${stem}.weight`, `${stem}.bias`].filter((n) => !model.weights.tensors.has(n));
  if (missing.length > 0) throw new WeightMismatchError(file, { missing, unexpected: [], misshaped: [] });
  const [weight, bias] = await Promise.all([
    model.weights.readFloat32(`${stem}.weight`),
    model.weights.readFloat32(`${stem}.bias`),
  ]);
  const misshaped = [];
  if (weight.length !== outFeatures * inFeatures)
    misshaped.push({
      tensor: `${stem}.weight`,
      expected: [outFeatures, inFeatures],
      actual: [weight.length],
    });
  if (bias.length !== outFeatures)
    misshaped.push({ tensor: `${stem}.bias`, expected: [outFeatures], actual: [bias.length] });
  if (misshaped.length > 0) throw new WeightMismatchError(file, { missing: [], unexpected: [], misshaped });
  return { weight, bias, outFeatures, inFeatures };
}

/**
 * Reads the head's weights once (they are small: `hiddenSize² + numLabels·hiddenSize` values).
 * @throws WeightMismatchError when a head tensor is absent or misshaped.
 */
export async function readSequenceClassifier(model: ModelArtifacts): Promise<SequenceClassifier> {
  const { modelType, hiddenSize: H, numLabels: N } = model.config;
  const spec = STAGES[modelType];
  const stages = await Promise.all(
    spec.map(async ([name, activation], i) => ({
      name,
      activation,
      layer: await readDenseLayer(model, name, i === spec.length - 1 ? N : H, H),
    })),
  );
  return { modelType, hiddenSize: H, numLabels: N, stages };
}

/**
 * Runs the stages on the hidden state that starts at `offset` (the row's first token).
 * @returns the `numLabels` logits, in float64.
 */
export function classifierLogits(
  classifier: SequenceClassifier,
  hidden: ArrayLike<number>,
  offset: number,
): Float64Array {
  let x: ArrayLike<number> = hidden;
  let at = offset;
  for (const stage of classifier.stages) {
    x = activate(dense(stage.layer, x, at), stage.activation);
    at = 0;
  }
  return x as Float64Array;
}
