import type { ModelType } from '../model-config';

/**
 * Which task head a checkpoint carries, from `config.architectures`: `…ForSequenceClassification`,
 * `…ForTokenClassification`, `…ForQuestionAnswering`; anything else (`…Model`, `…ForMaskedLM`,
 * `…ForPreTraining`, none) is the bare encoder.
 */
export type HeadKind = 'base' | 'sequence-classification' | 'token-classification' | 'question-answering';

/** One tensor an architecture expects, under samp's canonical name. */
export interface ExpectedTensor {
  /** Canonical name, e.g. `layers.0.attention.query.weight` or `classifier.weight`. */
  readonly name: string;
  /** Shape derived from the config; Linear weights keep PyTorch's [out, in] layout. */
  readonly shape: readonly number[];
  /** `false` for tensors used when present but not needed by the head (e.g. RoBERTa's pooler). */
  readonly required: boolean;
  /** The name transformers stores it under, without the base-model prefix. */
  readonly stored: string;
  /** `true` for base-model tensors (stored with or without the prefix); task heads never have it. */
  readonly inBaseModel: boolean;
}

/** What a model_type's checkpoint must contain for a given config: its tensors, names and shapes. */
export interface ArchitectureDescription {
  readonly modelType: ModelType;
  /** The base-model prefix of stored names in task checkpoints (`bert`, `roberta`, …). */
  readonly basePrefix: string;
  readonly head: HeadKind;
  /** Every canonical tensor, embeddings first, then layers in order, then pooler and head. */
  readonly tensors: readonly ExpectedTensor[];
  /**
   * Stored names (without prefix) that belong to the architecture but that no canonical tensor uses:
   * ALBERT layer groups no layer draws from. They are reported as ignored, not as unexpected.
   */
  readonly unusedStored: readonly string[];
}
