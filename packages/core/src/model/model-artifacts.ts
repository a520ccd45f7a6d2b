import type { TensorInfo, TensorStore } from '../weights/tensor-store';
import type { ModelConfig } from './model-config';

/** Tokenizer settings read from a model folder (the tokenizer package turns them into a tokenizer). */
export interface TokenizerSettings {
  /** The file the vocabulary came from (`vocab.txt`, or `tokenizer.json` when there is no vocab.txt). */
  readonly vocabFile: string;
  /** Tokens by id. */
  readonly vocab: readonly string[];
  readonly doLowerCase: boolean;
  /** `undefined` means "follow doLowerCase", as Hugging Face's BertNormalizer does. */
  readonly stripAccents: boolean | undefined;
  readonly tokenizeChineseChars: boolean;
  /**
   * Remove control characters and map whitespace to spaces before splitting (BertNormalizer's
   * `clean_text`); absent means `true`, as BertTokenizer always does.
   */
  readonly cleanText?: boolean;
  /** `model_max_length` when the tokenizer config gives a sensible one. */
  readonly modelMaxLength: number | undefined;
  readonly specialTokens: {
    readonly unk: string;
    readonly cls: string;
    readonly sep: string;
    readonly pad: string;
    readonly mask: string;
  };
  /** WordPiece continuation prefix (`##`). */
  readonly continuingSubwordPrefix: string;
  /** WordPiece's longest word before it becomes the unknown token (100). */
  readonly maxInputCharsPerWord: number;
}

/**
 * A model's weights under samp's canonical names (the same for every architecture), e.g.
 * `embeddings.word`, `layers.3.attention.query.weight`, `pooler.dense.weight`, `classifier.weight`.
 * Each canonical name points at the stored tensor; ALBERT's shared layers point several names at one.
 */
export interface ModelWeights {
  readonly store: TensorStore;
  /** Canonical name → where the tensor is stored. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** Stored tensors deliberately not used (masked-LM heads, `position_ids` buffers, …). */
  readonly ignored: readonly string[];
  /** A canonical tensor as float32. */
  readFloat32(canonicalName: string): Promise<Float32Array>;
}

/** Everything samp needs from a Hugging Face model folder. */
export interface ModelArtifacts {
  /** The model folder. */
  readonly dir: string;
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  /** `undefined` when the folder has no tokenizer files. */
  readonly tokenizer: TokenizerSettings | undefined;
  /**
   * A stable fingerprint of the model (config and tensor names, shapes, dtypes and contents), so that
   * a QuantProfile or PrecisionPlan made for another model is refused.
   */
  readonly fingerprint: string;
}
