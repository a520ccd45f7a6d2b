/** The BERT-family architectures samp runs, by their `config.json` `model_type`. */
export const SUPPORTED_MODEL_TYPES = [
  'bert',
  'roberta',
  'xlm-roberta',
  'electra',
  'distilbert',
  'albert',
] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

/** Feed-forward activations samp implements (`gelu` is the exact erf form, `gelu_new` the tanh form). */
export type Activation = 'gelu' | 'gelu_new' | 'relu';

/** How a checkpoint was trained to be used, from `problem_type`. */
export type ProblemType = 'single_label_classification' | 'multi_label_classification' | 'regression';

/**
 * A model's `config.json`, normalised across architectures so that backends and heads never look at
 * architecture-specific field names.
 */
export interface ModelConfig {
  readonly modelType: ModelType;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numAttentionHeads: number;
  readonly numHiddenLayers: number;
  readonly intermediateSize: number;
  readonly hiddenAct: Activation;
  readonly layerNormEps: number;
  readonly maxPositionEmbeddings: number;
  /** `absolute` learned positions, or DistilBERT's fixed `sinusoidal` table (stored as weights too). */
  readonly positionEmbeddingType: 'absolute' | 'sinusoidal';
  /**
   * Added to every position index: RoBERTa and XLM-R count positions from `pad_token_id + 1`, and
   * skip padding tokens; every other architecture starts at 0.
   */
  readonly positionOffset: number;
  readonly padTokenId: number;
  /** 0 when the architecture has no token-type embedding (DistilBERT). */
  readonly typeVocabSize: number;
  /** Width of the embedding tables; differs from `hiddenSize` for ELECTRA and ALBERT (then projected). */
  readonly embeddingSize: number;
  /** ALBERT's layer sharing: `numHiddenLayers` layers drawn from this many groups (1 elsewhere). */
  readonly numHiddenGroups: number;
  /** ALBERT's layers per group (1 elsewhere). */
  readonly innerGroupNum: number;
  /** `architectures` from config.json (e.g. `BertForSequenceClassification`), possibly empty. */
  readonly architectures: readonly string[];
  /** Label names by id (`id2label`), with integer keys. */
  readonly id2label: Readonly<Record<number, string>>;
  readonly label2id: Readonly<Record<string, number>>;
  /** Number of labels of the task head (`num_labels`, or the size of `id2label`). */
  readonly numLabels: number;
  readonly problemType: ProblemType | undefined;
  /** The whole parsed config.json, for fields samp does not normalise. */
  readonly raw: Readonly<Record<string, unknown>>;
}
