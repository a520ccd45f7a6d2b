import {
  type EncoderOutput,
  type HeadContext,
  type HeadInstance,
  type HeadSupport,
  type HeadV1,
  headKindOf,
  InvalidArgumentError,
  type ModelArtifacts,
  type ModelConfig,
  SUPPORTED_MODEL_TYPES,
} from '@samp/core';
import {
  type ClassificationHeadOptions,
  type ClassificationResult,
  checkEncoderOutput,
  createClassificationHead,
} from '@samp/head-classification';
import { cosineSimilarity, dot, type Pooling, poolEmbeddings } from './pooling';

/** A cross-encoder's prediction for a text pair: exactly the classification head's result. */
export type CrossEncoderResult = ClassificationResult;

/** A bi-encoder's similarity of the two texts of a pair. */
export interface BiEncoderResult {
  /** Cosine similarity (or the dot product with `similarity: 'dot'`) of the two embeddings. */
  score: number;
}

/** One row's result: a cross-encoder's label or a bi-encoder's similarity. */
export type TextMatchingResult = CrossEncoderResult | BiEncoderResult;

/** How a model matches texts. */
export type TextMatchingMode = 'cross-encoder' | 'bi-encoder';

/** Options of {@link textMatchingHead}'s `create`. */
export interface TextMatchingHeadOptions extends ClassificationHeadOptions {
  /**
   * `auto` (default): a cross-encoder for `…ForSequenceClassification` checkpoints, a bi-encoder for bare
   * encoders (`…Model`, `…ForMaskedLM`, no architectures).
   */
  mode?: TextMatchingMode | 'auto';
  /** Bi-encoder: `mean` (default) over the attention mask, or `cls`. */
  pooling?: Pooling;
  /** Bi-encoder: L2-normalise the embeddings (default true). */
  normalize?: boolean;
  /** Bi-encoder: `cosine` (default) or `dot` (equal to cosine when normalised). */
  similarity?: 'cosine' | 'dot';
}

/** A text-matching head bound to one model. */
export interface TextMatchingInstance extends HeadInstance<TextMatchingResult> {
  readonly mode: TextMatchingMode;
  /**
   * Bi-encoder only: one pooled (and, by default, normalised) embedding per row. Throws for a
   * cross-encoder, which has no per-text embedding.
   */
  embed(output: EncoderOutput, context: HeadContext): Float64Array[];
}

/** The mode `auto` picks for a config, or why none fits. */
function autoMode(config: ModelConfig): TextMatchingMode | { reason: string } {
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(config.modelType))
    return { reason: `model_type "${config.modelType}" is not a supported encoder` };
  const kind = headKindOf(config);
  if (kind === 'sequence-classification') return 'cross-encoder';
  if (kind === 'base') return 'bi-encoder';
  return {
    reason: `config.json architectures (${config.architectures.join(', ')}) name a ${kind} head, neither a sentence-pair classifier (cross-encoder) nor a bare encoder (bi-encoder); pass mode 'bi-encoder' to pool its hidden states anyway`,
  };
}

function checkOptions(o: TextMatchingHeadOptions): void {
  if (o.mode !== undefined && o.mode !== 'auto' && o.mode !== 'cross-encoder' && o.mode !== 'bi-encoder')
    throw new InvalidArgumentError(
      'mode',
      `expected auto, cross-encoder or bi-encoder, got ${String(o.mode)}`,
    );
  if (o.pooling !== undefined && o.pooling !== 'mean' && o.pooling !== 'cls')
    throw new InvalidArgumentError('pooling', `expected mean or cls, got ${String(o.pooling)}`);
  if (o.similarity !== undefined && o.similarity !== 'cosine' && o.similarity !== 'dot')
    throw new InvalidArgumentError('similarity', `expected cosine or dot, got ${String(o.similarity)}`);
  if (o.normalize !== undefined && typeof o.normalize !== 'boolean')
    throw new InvalidArgumentError('normalize', `expected a boolean, got ${String(o.normalize)}`);
}

/**
 * Text matching. Cross-encoder: a `…ForSequenceClassification` checkpoint run on the pair as one input
 * (`[CLS] a [SEP] b [SEP]` with token types), decoded by `@samp/head-classification` into
 * `{ label, labelId, score, logits }` per row. Bi-encoder: each text encoded on its own; the batch holds
 * the pairs as consecutive rows (`2i` = first text, `2i + 1` = second), each row gets `{ score }`, the
 * cosine similarity of its pair's pooled embeddings (both rows of a pair carry the same score).
 * @example
 * const head = await textMatchingHead.create(model); // bi-encoder for a bare BERT
 * const [pair] = head.decode(output, { attentionMask }); // rows: [query, passage]
 * pair.score; // 0.71
 */
export const textMatchingHead: HeadV1<TextMatchingResult, TextMatchingHeadOptions> = {
  specificationVersion: 'v1',
  name: 'text-matching',
  tasks: ['text-matching', 'sentence-similarity'],
  supports(config: ModelConfig): HeadSupport {
    const mode = autoMode(config);
    return typeof mode === 'string' ? { supported: true } : { supported: false, reason: mode.reason };
  },
  create: (model, options) => createTextMatchingHead(model, options),
};

/**
 * {@link textMatchingHead}'s `create`, typed with the instance's extra members.
 * @throws InvalidArgumentError when `auto` finds no mode for the model or an option is invalid.
 */
export async function createTextMatchingHead(
  model: ModelArtifacts,
  options: TextMatchingHeadOptions = {},
): Promise<TextMatchingInstance> {
  checkOptions(options);
  const requested = options.mode ?? 'auto';
  let mode: TextMatchingMode;
  if (requested === 'auto') {
    const m = autoMode(model.config);
    if (typeof m !== 'string') throw new InvalidArgumentError('model', `${model.dir}: ${m.reason}`);
    mode = m;
  } else mode = requested;

  if (mode === 'cross-encoder') {
    const classifier = await createClassificationHead(model, options);
    return {
      mode,
      decode: (output, context) => classifier.decode(output, context),
      embed: () => {
        throw new InvalidArgumentError(
          'mode',
          'a cross-encoder has no per-text embeddings; use a bi-encoder',
        );
      },
      dispose: () => classifier.dispose?.(),
    };
  }

  const H = model.config.hiddenSize;
  const embed = (output: EncoderOutput, context: HeadContext): Float64Array[] => {
    checkEncoderOutput(output, context, H);
    return poolEmbeddings(output, context.attentionMask, options);
  };
  const similarity = options.similarity ?? 'cosine';
  return {
    mode,
    embed,
    decode(output, context) {
      if (output.batchSize % 2 !== 0)
        throw new InvalidArgumentError(
          'output.batchSize',
          `is ${output.batchSize}; a bi-encoder batch holds text pairs as consecutive rows, so it must be even`,
        );
      const e = embed(output, context);
      const results: BiEncoderResult[] = [];
      for (let i = 0; i < e.length; i += 2) {
        const a = e[i] as Float64Array;
        const b = e[i + 1] as Float64Array;
        const score = similarity === 'dot' ? dot(a, b) : cosineSimilarity(a, b);
        results.push({ score }, { score });
      }
      return results;
    },
    dispose: () => {},
  };
}
