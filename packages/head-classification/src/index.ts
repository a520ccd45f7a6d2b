// @samp/head-classification: the sequence-classification head of BERT-family checkpoints, through
// @samp/core's public head specification only.
export {
  type ClassificationHeadOptions,
  type ClassificationInstance,
  type ClassificationResult,
  checkEncoderOutput,
  classificationHead,
  classifyLogits,
  createClassificationHead,
  effectiveProblemType,
  type LabelScore,
  sequenceClassificationUnsupportedReason,
} from './classification-head';
export {
  activate,
  argmax,
  type DenseLayer,
  dense,
  erf,
  gelu,
  type HeadActivation,
  sigmoid,
  softmax,
} from './math';
export {
  type ClassifierStage,
  classifierLogits,
  classifierStageNames,
  readDenseLayer,
  readSequenceClassifier,
  type SequenceClassifier,
} from './sequence-classifier';
