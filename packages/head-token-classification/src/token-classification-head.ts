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
  SUPPORTED_MODEL_TYPES,
  WeightMismatchError,
} from '@samp/core';
import { type Aggregation, entitiesFromUnits, taggedUnits } from './decode-entities';
import { detectScheme, isTagScheme, type TagScheme } from './tags';
import { constrainedDecode, type TransitionRules, transitionRules } from './viterbi';

/** An entity of the text: `text === source.slice(start, end)` (UTF-16 code units). */
export interface Entity {
  type: string;
  start: number;
  end: number;
  text: string;
  /** The mean, over the entity's tagged tokens (first pieces), of the probability of their tag. */
  score: number;
}

/** One row's prediction. */
export interface TokenClassificationResult {
  entities: Entity[];
}

/** Options of {@link tokenClassificationHead}'s `create`. */
export interface TokenClassificationHeadOptions extends HeadCreateOptions {
  /** The label scheme (default `auto`: BIOES when a label starts with `E-`/`S-`, else BIO). */
  scheme?: TagScheme | 'auto';
  /**
   * `argmax` (default): each token's most probable label. `viterbi`: the most probable label sequence
   * with no illegal transition (O→I-x, B-x→I-y, …), over the log-softmax scores.
   */
  decoding?: 'argmax' | 'viterbi';
  /** `first` (default): a word's pieces take its first piece's label. `none`: every piece is tagged. */
  aggregation?: Aggregation;
}

/** A token-classification head bound to one model. */
export interface TokenClassificationInstance extends HeadInstance<TokenClassificationResult> {
  /** The label scheme in force (aliases normalised). */
  readonly scheme: 'BIO' | 'BIOES';
  /** Logits of every position, `[batch, seq, numLabels]` in float64 (padded positions included). */
  logits(output: EncoderOutput): Float64Array;
}

/** Why a config cannot be served by the token-classification head, or `undefined` when it can. */
function unsupportedReason(config: ModelConfig): string | undefined {
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(config.modelType))
    return `model_type "${config.modelType}" has no known token-classification head`;
  if (headKindOf(config) !== 'token-classification') {
    const names = config.architectures.length > 0 ? config.architectures.join(', ') : 'none';
    return `config.json architectures (${names}) names no …ForTokenClassification head`;
  }
  return undefined;
}

function checkOptions(o: TokenClassificationHeadOptions): void {
  if (o.scheme !== undefined && o.scheme !== 'auto' && !isTagScheme(o.scheme))
    throw new InvalidArgumentError(
      'scheme',
      `expected auto, BIO, IOB2, BIOES or IOBES, got ${String(o.scheme)}`,
    );
  if (o.decoding !== undefined && o.decoding !== 'argmax' && o.decoding !== 'viterbi')
    throw new InvalidArgumentError('decoding', `expected argmax or viterbi, got ${String(o.decoding)}`);
  if (o.aggregation !== undefined && o.aggregation !== 'first' && o.aggregation !== 'none')
    throw new InvalidArgumentError('aggregation', `expected first or none, got ${String(o.aggregation)}`);
}

/** The classifier's logits for the token whose hidden state starts at `offset`, into `out`. */
function tokenLogits(
  weight: Float32Array,
  bias: Float32Array,
  H: number,
  hidden: Float32Array,
  offset: number,
  out: Float64Array,
  outOffset: number,
): void {
  const L = bias.length;
  for (let i = 0; i < L; i++) {
    let acc = bias[i] as number;
    const w = i * H;
    for (let j = 0; j < H; j++) acc += (weight[w + j] as number) * (hidden[offset + j] as number);
    out[outOffset + i] = acc;
  }
}

/** In place: each `L`-wide row of `values` becomes its log-softmax. */
function logSoftmaxRows(values: Float64Array, L: number): void {
  for (let r = 0; r < values.length; r += L) {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < L; j++) max = Math.max(max, values[r + j] as number);
    let sum = 0;
    for (let j = 0; j < L; j++) sum += Math.exp((values[r + j] as number) - max);
    const log = max + Math.log(sum);
    for (let j = 0; j < L; j++) values[r + j] = (values[r + j] as number) - log;
  }
}

/** The number of leading tokens that belong to the first text: up to the special token after it. */
function firstSegmentLength(offsets: Int32Array, tokens: number): number {
  let seen = false;
  for (let t = 0; t < tokens; t++) {
    const empty = (offsets[2 * t + 1] as number) <= (offsets[2 * t] as number);
    if (!empty) seen = true;
    else if (seen) return t;
  }
  return tokens;
}

interface Bound {
  weight: Float32Array;
  bias: Float32Array;
  labels: string[];
  rules: TransitionRules;
  scheme: 'BIO' | 'BIOES';
  decoding: 'argmax' | 'viterbi';
  aggregation: Aggregation;
}

function checkBatch(output: EncoderOutput, context: HeadContext, H: number): void {
  const { batchSize, sequenceLength } = output;
  if (output.hiddenSize !== H)
    throw new InvalidArgumentError(
      'output.hiddenSize',
      `is ${output.hiddenSize}, but the model's hidden size is ${H}`,
    );
  if (output.lastHiddenState.length !== batchSize * sequenceLength * H)
    throw new InvalidArgumentError(
      'output.lastHiddenState',
      `has ${output.lastHiddenState.length} values, expected ${batchSize}×${sequenceLength}×${H}`,
    );
  if (context.attentionMask.length !== batchSize * sequenceLength)
    throw new InvalidArgumentError(
      'context.attentionMask',
      `has ${context.attentionMask.length} values, expected ${batchSize}×${sequenceLength}`,
    );
  if (context.offsets === undefined || context.texts === undefined)
    throw new InvalidArgumentError(
      context.offsets === undefined ? 'context.offsets' : 'context.texts',
      'token classification needs the texts and the token offsets to place entities (pass texts, not token ids)',
    );
  if (context.offsets.length !== batchSize || context.texts.length !== batchSize)
    throw new InvalidArgumentError('context', `expected offsets and texts for each of the ${batchSize} rows`);
  for (const [row, o] of context.offsets.entries())
    if (o.length !== 2 * sequenceLength)
      throw new InvalidArgumentError(
        `context.offsets[${row}]`,
        `has ${o.length} values, expected 2×${sequenceLength}`,
      );
}

function decodeRow(
  b: Bound,
  output: EncoderOutput,
  context: HeadContext,
  row: number,
): TokenClassificationResult {
  const { sequenceLength: S, hiddenSize: H } = output;
  const L = b.labels.length;
  const offsets = context.offsets?.[row] as Int32Array;
  const source = context.texts?.[row];
  // For a text pair the entities are those of the first text, which the offsets before the separator index.
  const text = typeof source === 'string' ? source : (source?.[0] ?? '');
  let tokens = 0;
  while (tokens < S && context.attentionMask[row * S + tokens] !== 0) tokens++;
  tokens = firstSegmentLength(offsets, tokens);
  const units = taggedUnits(offsets, tokens, b.aggregation, text);
  const n = units.token.length;
  const logProbs = new Float64Array(n * L);
  for (let u = 0; u < n; u++)
    tokenLogits(
      b.weight,
      b.bias,
      H,
      output.lastHiddenState,
      (row * S + (units.token[u] as number)) * H,
      logProbs,
      u * L,
    );
  logSoftmaxRows(logProbs, L);
  let path: number[];
  if (b.decoding === 'viterbi') {
    path = constrainedDecode(logProbs, n, b.rules);
  } else {
    path = new Array<number>(n);
    for (let u = 0; u < n; u++) {
      let arg = 0;
      for (let j = 1; j < L; j++)
        if ((logProbs[u * L + j] as number) > (logProbs[u * L + arg] as number)) arg = j;
      path[u] = arg;
    }
  }
  const tags = path.map((id) => b.labels[id] as string);
  const scores = path.map((id, u) => Math.exp(logProbs[u * L + id] as number));
  const entities = entitiesFromUnits(tags, units, text, scores).map(
    (e): Entity => ({ type: e.type, start: e.start, end: e.end, text: e.text ?? '', score: e.score ?? 0 }),
  );
  return { entities };
}

/**
 * Token classification (NER) for Hugging Face `…ForTokenClassification` checkpoints: the classifier on
 * every token, then BIO/IOB2 or BIOES/IOBES tags decoded into entities of the text, with word pieces
 * merged, offsets in UTF-16 code units, and invalid tag sequences repaired as seqeval does (or avoided
 * with `decoding: 'viterbi'`). Needs `context.offsets` and `context.texts`.
 * @example
 * const head = await tokenClassificationHead.create(model, { decoding: 'viterbi' });
 * const [row] = head.decode(output, { attentionMask, offsets, texts: ['Anna lives in Paris'] });
 * row.entities; // [{ type: 'PER', start: 0, end: 4, text: 'Anna', score: 0.98 }, …]
 */
export const tokenClassificationHead: HeadV1<TokenClassificationResult, TokenClassificationHeadOptions> = {
  specificationVersion: 'v1',
  name: 'token-classification',
  tasks: ['token-classification', 'ner'],
  supports(config: ModelConfig): HeadSupport {
    const reason = unsupportedReason(config);
    return reason === undefined ? { supported: true } : { supported: false, reason };
  },
  create: (model, options) => createTokenClassificationHead(model, options),
};

/**
 * {@link tokenClassificationHead}'s `create`, typed with the instance's extra members.
 * @throws InvalidArgumentError when the model has no token-classification head or an option is invalid.
 * @throws WeightMismatchError when `classifier.weight`/`classifier.bias` are absent or misshaped.
 */
export async function createTokenClassificationHead(
  model: ModelArtifacts,
  options: TokenClassificationHeadOptions = {},
): Promise<TokenClassificationInstance> {
  checkOptions(options);
  const { config } = model;
  const reason = unsupportedReason(config);
  if (reason !== undefined) throw new InvalidArgumentError('model', `${model.dir}: ${reason}`);
  const H = config.hiddenSize;
  const L = config.numLabels;
  const missing = ['classifier.weight', 'classifier.bias'].filter((n) => !model.weights.tensors.has(n));
  if (missing.length > 0)
    throw new WeightMismatchError(model.dir, { missing, unexpected: [], misshaped: [] });
  const [weight, bias] = await Promise.all([
    model.weights.readFloat32('classifier.weight'),
    model.weights.readFloat32('classifier.bias'),
  ]);
  if (weight.length !== L * H || bias.length !== L)
    throw new WeightMismatchError(model.dir, {
      missing: [],
      unexpected: [],
      misshaped: [
        { tensor: 'classifier.weight', expected: [L, H], actual: [weight.length] },
        { tensor: 'classifier.bias', expected: [L], actual: [bias.length] },
      ],
    });
  const labels = Array.from({ length: L }, (_, i) => config.id2label[i] ?? `LABEL_${i}`);
  const requested = options.scheme ?? 'auto';
  const scheme =
    requested === 'auto'
      ? detectScheme(labels)
      : requested === 'BIOES' || requested === 'IOBES'
        ? 'BIOES'
        : 'BIO';
  const bound: Bound = {
    weight,
    bias,
    labels,
    rules: transitionRules(labels, scheme),
    scheme,
    decoding: options.decoding ?? 'argmax',
    aggregation: options.aggregation ?? 'first',
  };
  return {
    scheme,
    logits(output) {
      const { batchSize, sequenceLength } = output;
      const out = new Float64Array(batchSize * sequenceLength * L);
      for (let p = 0; p < batchSize * sequenceLength; p++)
        tokenLogits(weight, bias, H, output.lastHiddenState, p * H, out, p * L);
      return out;
    },
    decode(output, context) {
      checkBatch(output, context, H);
      const results: TokenClassificationResult[] = [];
      for (let row = 0; row < output.batchSize; row++) results.push(decodeRow(bound, output, context, row));
      return results;
    },
    dispose: () => {},
  };
}
