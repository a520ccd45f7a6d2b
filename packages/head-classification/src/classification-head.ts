import {
  type EncoderOutput,
  type HeadContext,
  type HeadCreateOptions,
  type HeadInstance,
  type HeadSupport,
  type HeadV1,
  headKindOf,
  InvalidArgumentError,
  type ModelArtifacts,
  type ModelConfig,
  type ProblemType,
  SUPPORTED_MODEL_TYPES,
} from '@samp/core';
import { argmax, sigmoid, softmax } from './math';
import { classifierLogits, readSequenceClassifier, type SequenceClassifier } from './sequence-classifier';

/** One label with its score. */
export interface LabelScore {
  label: string;
  labelId: number;
  score: number;
}

/**
 * One row's prediction: the best label, its score, and the raw logits (the CLI writes them as
 * `label`, `label_id`, `score`, `logits`).
 */
export interface ClassificationResult {
  /** The label name from `id2label` (`LABEL_<id>` when the config names none). */
  label: string;
  labelId: number;
  /**
   * Single-label: the label's softmax probability. Multi-label: its sigmoid. Regression: the raw value.
   */
  score: number;
  /** The head's raw outputs, one per label (float64 arithmetic). */
  logits: number[];
  /** Every label's score, by id: softmax, sigmoid, or the raw values for regression. */
  scores: number[];
  /**
   * Multi-label only: every label whose sigmoid is at or above the threshold, highest first (possibly
   * none; `label` is then still the highest-scoring label).
   */
  labels?: LabelScore[];
}

/** Options of {@link classificationHead}'s `create`. */
export interface ClassificationHeadOptions extends HeadCreateOptions {
  /**
   * How the logits are read (default: config.json's `problem_type`; without one, `regression` when
   * `num_labels` is 1, as transformers' loss does, else `single_label_classification`).
   */
  problemType?: ProblemType;
  /** Multi-label: the sigmoid at or above which a label is predicted (default 0.5). */
  threshold?: number;
}

const PROBLEM_TYPES: readonly ProblemType[] = [
  'single_label_classification',
  'multi_label_classification',
  'regression',
];

/** The problem type a model's head is read with: the config's, else transformers' rule. */
export function effectiveProblemType(config: ModelConfig, override?: ProblemType): ProblemType {
  if (override !== undefined) return override;
  if (config.problemType !== undefined) return config.problemType;
  return config.numLabels === 1 ? 'regression' : 'single_label_classification';
}

/** Why a config cannot be served by a sequence-classification head, or `undefined` when it can. */
export function sequenceClassificationUnsupportedReason(config: ModelConfig): string | undefined {
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(config.modelType))
    return `model_type "${config.modelType}" has no known sequence-classification head`;
  if (headKindOf(config) !== 'sequence-classification') {
    const names = config.architectures.length > 0 ? config.architectures.join(', ') : 'none';
    return `config.json architectures (${names}) names no …ForSequenceClassification head`;
  }
  if (config.numLabels < 1) return 'the head has no labels (num_labels is 0)';
  return undefined;
}

function checkOptions(options: ClassificationHeadOptions): void {
  if (options.problemType !== undefined && !PROBLEM_TYPES.includes(options.problemType))
    throw new InvalidArgumentError(
      'problemType',
      `expected one of ${PROBLEM_TYPES.join(', ')}, got ${JSON.stringify(options.problemType)}`,
    );
  const t = options.threshold;
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 1))
    throw new InvalidArgumentError('threshold', `expected a number in [0, 1], got ${String(t)}`);
}

/**
 * Checks that `output` is a `[batch, seq, hidden]` tensor of the model's width and that the mask matches.
 * @throws InvalidArgumentError naming the mismatching field.
 */
export function checkEncoderOutput(output: EncoderOutput, context: HeadContext, hiddenSize: number): void {
  const { batchSize, sequenceLength, lastHiddenState } = output;
  if (output.hiddenSize !== hiddenSize)
    throw new InvalidArgumentError(
      'output.hiddenSize',
      `is ${output.hiddenSize}, but the model's hidden size is ${hiddenSize}`,
    );
  if (lastHiddenState.length !== batchSize * sequenceLength * hiddenSize)
    throw new InvalidArgumentError(
      'output.lastHiddenState',
      `has ${lastHiddenState.length} values, expected ${batchSize}×${sequenceLength}×${hiddenSize}`,
    );
  if (context.attentionMask.length !== batchSize * sequenceLength)
    throw new InvalidArgumentError(
      'context.attentionMask',
      `has ${context.attentionMask.length} values, expected ${batchSize}×${sequenceLength}`,
    );
}

/** Turns one row's logits into a result. */
export function classifyLogits(
  logits: ArrayLike<number>,
  config: ModelConfig,
  problemType: ProblemType,
  threshold = 0.5,
): ClassificationResult {
  const raw = Array.from(logits);
  const labelOf = (id: number): string => config.id2label[id] ?? `LABEL_${id}`;
  let scores: number[];
  switch (problemType) {
    case 'single_label_classification':
      scores = softmax(raw);
      break;
    case 'multi_label_classification':
      scores = raw.map(sigmoid);
      break;
    case 'regression':
      scores = raw.slice();
      break;
  }
  const labelId = argmax(scores);
  const result: ClassificationResult = {
    label: labelOf(labelId),
    labelId,
    score: scores[labelId] as number,
    logits: raw,
    scores,
  };
  if (problemType === 'multi_label_classification') {
    result.labels = scores
      .map((score, id) => ({ label: labelOf(id), labelId: id, score }))
      .filter((l) => l.score >= threshold)
      .sort((a, b) => b.score - a.score || a.labelId - b.labelId);
  }
  return result;
}

/** A classification head bound to one model; `logits` exposes the raw head outputs. */
export interface ClassificationInstance extends HeadInstance<ClassificationResult> {
  /** The problem type the logits are read with. */
  readonly problemType: ProblemType;
  /** Each row's raw logits (float64), without the label decision. */
  logits(output: EncoderOutput, context: HeadContext): Float64Array[];
}

function bind(
  model: ModelArtifacts,
  classifier: SequenceClassifier,
  options: ClassificationHeadOptions,
): ClassificationInstance {
  const problemType = effectiveProblemType(model.config, options.problemType);
  const threshold = options.threshold ?? 0.5;
  const logits = (output: EncoderOutput, context: HeadContext): Float64Array[] => {
    checkEncoderOutput(output, context, classifier.hiddenSize);
    const rows: Float64Array[] = [];
    const rowStride = output.sequenceLength * output.hiddenSize;
    // Padding only follows a row's real tokens, so position 0 is always the first real token.
    for (let b = 0; b < output.batchSize; b++)
      rows.push(classifierLogits(classifier, output.lastHiddenState, b * rowStride));
    return rows;
  };
  return {
    problemType,
    logits,
    decode: (output, context) =>
      logits(output, context).map((row) => classifyLogits(row, model.config, problemType, threshold)),
    dispose: () => {},
  };
}

/**
 * Sequence classification for Hugging Face `…ForSequenceClassification` checkpoints (BERT, ALBERT,
 * RoBERTa, XLM-R, ELECTRA, DistilBERT): the architecture's pooler / classification head applied to the
 * first token, then softmax (single-label), sigmoid per label (multi-label, `threshold` option) or the
 * raw value (regression). Weights are read once at `create`; arithmetic is float64.
 * @example
 * const head = await classificationHead.create(model);
 * const [first] = head.decode(await session.run(batch), { attentionMask: batch.attentionMask });
 * first.label; // 'positive'
 */
export const classificationHead: HeadV1<ClassificationResult, ClassificationHeadOptions> = {
  specificationVersion: 'v1',
  name: 'classification',
  tasks: ['text-classification', 'sentiment-analysis'],
  supports(config: ModelConfig): HeadSupport {
    const reason = sequenceClassificationUnsupportedReason(config);
    return reason === undefined ? { supported: true } : { supported: false, reason };
  },
  create: (model, options) => createClassificationHead(model, options),
};

/**
 * {@link classificationHead}'s `create`, typed with the instance's extra members.
 * @throws InvalidArgumentError when the model is not a sequence-classification checkpoint or an option is invalid.
 * @throws WeightMismatchError when a head tensor is absent or misshaped.
 */
export async function createClassificationHead(
  model: ModelArtifacts,
  options: ClassificationHeadOptions = {},
): Promise<ClassificationInstance> {
  checkOptions(options);
  const reason = sequenceClassificationUnsupportedReason(model.config);
  if (reason !== undefined) throw new InvalidArgumentError('model', `${model.dir}: ${reason}`);
  return bind(model, await readSequenceClassifier(model), options);
}
