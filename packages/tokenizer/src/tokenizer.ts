import { packBatch, type TokenBatch } from './batch';
import {
  type Encoding,
  type PostProcessOptions,
  type PostTemplate,
  postProcess,
  type Side,
  validatePostOptions,
} from './encoding';
import { TokenizerInputError, TokenizerOptionError } from './errors';
import { type TokenSeq, TokenSink } from './token-sink';
import type { Vocabulary } from './vocabulary';

/** One input: a text, a `[text, textPair]` pair, or `{ text, textPair }`. */
export type EncodeInput =
  | string
  | readonly [string, string]
  | { readonly text: string; readonly textPair?: string };

/** Padding of a single encoding. */
export type Padding = 'none' | 'longest' | 'max_length';

/** Options of `encode`: truncation, overflow, special tokens and padding. */
export interface EncodeOptions extends Omit<PostProcessOptions, 'padToLength' | 'padId'> {
  /**
   * `none` (default for `encode`), `longest` (default for batches: pad to the longest in the batch) or
   * `max_length` (pad to `maxLength`, or to `padLength`).
   */
  readonly padding?: Padding;
  /** Explicit length for `padding: 'max_length'` when it differs from `maxLength`. */
  readonly padLength?: number;
  /**
   * Reproduce `tokenizers` 0.23.x, which stops tokenizing each text once `maxLength` tokens exist
   * (whole pre-token words; huggingface/tokenizers#1990). That shortens overflowing windows and can change
   * which tokens `longest_first` keeps in a pair (huggingface/tokenizers#2091). Default false: the
   * 0.22 behaviour, which the pending upstream fix (#2098) restores.
   */
  readonly truncationEarlyExit?: boolean;
}

/** Options of `encodeBatch`. */
export interface BatchOptions extends EncodeOptions {
  /** Sort rows by length (longest first) so buckets waste little padding (default false). */
  readonly sortByLength?: boolean;
}

/** Options of `encodeBuckets`. */
export interface BucketOptions extends EncodeOptions {
  /** Rows per bucket at most (default 32). */
  readonly batchSize?: number;
  /** Padded tokens per bucket at most (rows × seqLength; default: no limit). */
  readonly maxTokensPerBatch?: number;
}

/** What `encodeBatchAsync` needs of a worker pool (`TokenizerPool`). */
export interface BatchPool {
  /** Smaller batches are encoded on the calling thread. */
  readonly minBatchSize: number;
  /** Whether the pool was created from this tokenizer. */
  isFor(tokenizer: BaseTokenizer): boolean;
  encodeBatch(inputs: readonly EncodeInput[], options?: BatchOptions): Promise<TokenBatch>;
}

/** What a tokenizer needs to be rebuilt elsewhere (a worker thread): plain, structured-cloneable data. */
export interface TokenizerSpec {
  readonly kind: string;
  readonly vocab: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
}

const PADDINGS: readonly string[] = ['none', 'longest', 'max_length'];
/** Default `maxInputLength`: 16 Mi UTF-16 code units (16 to 48 MB of UTF-8). */
export const DEFAULT_MAX_INPUT_LENGTH = 1 << 24;
/** Capacity (tokens) above which a reused sink is dropped after use. */
const SINK_KEEP = 1 << 16;

/** Normalizes the three input forms to `[text, pair]`; throws `TokenizerInputError` on anything else. */
export function readInput(input: unknown, index?: number): [string, string | undefined] {
  if (typeof input === 'string') return [input, undefined];
  if (Array.isArray(input)) {
    if (input.length === 2 && typeof input[0] === 'string' && typeof input[1] === 'string')
      return [input[0], input[1]];
    throw new TokenizerInputError('a pair must be [string, string]', index);
  }
  if (typeof input === 'object' && input !== null && typeof (input as { text?: unknown }).text === 'string') {
    const pair = (input as { textPair?: unknown }).textPair;
    if (pair === undefined || typeof pair === 'string') return [(input as { text: string }).text, pair];
    throw new TokenizerInputError('textPair must be a string', index);
  }
  throw new TokenizerInputError(
    `expected a string, a [text, textPair] pair or { text, textPair }, got ${input === null ? 'null' : typeof input}`,
    index,
  );
}

/**
 * `tokenize_with_limit` of `tokenizers` 0.23: keep whole pre-token splits, from the truncation side, until
 * at least `max` tokens are kept.
 */
function limitSplits(seq: TokenSeq, max: number, side: Side): TokenSeq {
  const splits = seq.splitStarts;
  const n = seq.ids.length;
  if (splits === undefined || n <= max) return seq;
  let from = 0;
  let to = n;
  if (side === 'right') {
    for (let k = 0; k < splits.length; k++) {
      const end = k + 1 < splits.length ? (splits[k + 1] as number) : n;
      if (end >= max) {
        to = end;
        break;
      }
    }
  } else {
    for (let k = splits.length - 1; k >= 0; k--) {
      const start = splits[k] as number;
      if (n - start >= max) {
        from = start;
        break;
      }
    }
  }
  if (from === 0 && to === n) return seq;
  return { ids: seq.ids.slice(from, to), starts: seq.starts.slice(from, to), ends: seq.ends.slice(from, to) };
}

/**
 * The part every samp tokenizer shares: special tokens, truncation, overflow, padding, batches.
 * Subclasses only turn one text into ids and offsets.
 */
export abstract class BaseTokenizer {
  /** The vocabulary. */
  readonly vocab: Vocabulary;
  /** Id of the unknown token. */
  readonly unkId: number;
  /** Id of the padding token (0 when the vocabulary has none). */
  readonly padId: number;
  /** Where special tokens go. */
  readonly template: PostTemplate;
  /** The model's `model_max_length` when known (informational: truncation only happens when `maxLength` is given). */
  readonly modelMaxLength: number | undefined;
  /**
   * Longest text (UTF-16 code units) tokenized in full; longer ones are refused with a `TokenizerInputError`
   * unless only their start is needed (`encode` of one text with `maxLength`, right truncation, no overflow).
   */
  readonly maxInputLength: number;
  private sink = new TokenSink(1024);
  private sinkB = new TokenSink(256);

  protected constructor(
    vocab: Vocabulary,
    unkId: number,
    padId: number,
    template: PostTemplate,
    modelMaxLength?: number,
    maxInputLength: unknown = DEFAULT_MAX_INPUT_LENGTH,
  ) {
    if (
      maxInputLength !== Number.POSITIVE_INFINITY &&
      (typeof maxInputLength !== 'number' || !Number.isInteger(maxInputLength) || maxInputLength < 1)
    ) {
      throw new TokenizerOptionError(
        'maxInputLength',
        `expected an integer >= 1 or Infinity, got ${JSON.stringify(maxInputLength)}`,
      );
    }
    this.maxInputLength = maxInputLength as number;
    this.vocab = vocab;
    this.unkId = unkId;
    this.padId = padId;
    this.template = template;
    this.modelMaxLength = modelMaxLength;
  }

  /** Appends the tokens of `text[from, to)` (ids, offsets in UTF-16 units of `text`) to `out`. */
  protected abstract tokenizeInto(text: string, out: TokenSink): void;

  /** Plain data to rebuild this tokenizer (used by the worker pool). */
  abstract toSpec(): TokenizerSpec;

  /** Token ids and offsets of one text, without special tokens. */
  tokenizeToSeq(text: string): TokenSeq {
    if (typeof text !== 'string')
      throw new TokenizerInputError(`expected a string, got ${text === null ? 'null' : typeof text}`);
    this.checkLength(text);
    const sink = this.sink;
    sink.reset();
    sink.limit = Number.POSITIVE_INFINITY;
    this.tokenizeInto(text, sink);
    const seq = sink.take();
    if (sink.ids.length > SINK_KEEP) this.sink = new TokenSink(1024);
    return seq;
  }

  private checkLength(text: string): void {
    if (text.length > this.maxInputLength) {
      throw new TokenizerInputError(
        `the text has ${text.length} UTF-16 code units, over maxInputLength (${this.maxInputLength}); ` +
          'encode it with maxLength (right truncation, no overflow) to tokenize only its start, or raise maxInputLength',
      );
    }
  }

  /** The tokens (strings) of a text, without special tokens. */
  tokenize(text: string): string[] {
    const seq = this.tokenizeToSeq(text);
    return Array.from(seq.ids, (id) => this.vocab.idToToken(id) as string);
  }

  /** Ids → tokens. */
  convertIdsToTokens(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => this.vocab.idToToken(id) ?? '');
  }

  private postOptions(o: EncodeOptions, batchLongest: number | undefined): PostProcessOptions {
    validatePostOptions(o);
    if (o.padding !== undefined && !PADDINGS.includes(o.padding)) {
      throw new TokenizerOptionError(
        'padding',
        `expected one of ${PADDINGS.join(', ')}, got ${JSON.stringify(o.padding)}`,
      );
    }
    if (o.padLength !== undefined && (!Number.isInteger(o.padLength) || o.padLength < 0)) {
      throw new TokenizerOptionError(
        'padLength',
        `expected an integer >= 0, got ${JSON.stringify(o.padLength)}`,
      );
    }
    const maxLength = o.maxLength;
    let padToLength: number | undefined;
    if (o.padding === 'max_length') {
      padToLength = o.padLength ?? maxLength;
      if (padToLength === undefined)
        throw new TokenizerOptionError('padding', '"max_length" needs maxLength or padLength');
    } else if (o.padding === 'longest') padToLength = batchLongest;
    return { ...o, maxLength, padToLength, padId: this.padId };
  }

  /**
   * Encodes one text or a pair: `[CLS] text [SEP] (textPair [SEP])` for BERT, with truncation, overflowing
   * windows and padding as options.
   *
   * @example
   * const enc = tokenizer.encode('Hello world', undefined, { maxLength: 128 });
   * enc.ids; // Int32Array [101, 7592, 2088, 102]
   */
  encode(text: string, textPair?: string, options: EncodeOptions = {}): Encoding {
    if (typeof text !== 'string')
      throw new TokenizerInputError(`expected a string, got ${text === null ? 'null' : typeof text}`);
    if (textPair !== undefined && typeof textPair !== 'string')
      throw new TokenizerInputError('textPair must be a string');
    const po = this.postOptions(options, undefined);
    return this.encodeOne(text, textPair, po, options.truncationEarlyExit === true);
  }

  private encodeOne(
    text: string,
    textPair: string | undefined,
    po: PostProcessOptions,
    earlyExit: boolean,
  ): Encoding {
    // Views on two reused sinks: postProcess copies what it keeps.
    if (typeof text !== 'string') throw new TokenizerInputError('text must be a string');
    const sink = this.sink;
    sink.reset();
    // A single text cut on the right without overflow keeps only its first tokens: stop once `maxLength`
    // exist (at a word boundary, so the kept tokens and any truncation error are the same), which makes
    // a huge input cost what its kept part costs.
    sink.limit =
      textPair === undefined &&
      po.maxLength !== undefined &&
      po.returnOverflowing !== true &&
      (po.truncationSide ?? 'right') === 'right'
        ? po.maxLength
        : Number.POSITIVE_INFINITY;
    if (sink.limit === Number.POSITIVE_INFINITY) this.checkLength(text);
    if (textPair !== undefined) this.checkLength(textPair);
    this.tokenizeInto(text, sink);
    let a = sink.view();
    let b: TokenSeq | undefined;
    if (textPair !== undefined) {
      this.sinkB.reset();
      this.tokenizeInto(textPair, this.sinkB);
      b = this.sinkB.view();
    }
    if (earlyExit && po.maxLength !== undefined) {
      const side = po.truncationSide ?? 'right';
      if (po.truncation !== 'only_second') a = limitSplits(a, po.maxLength, side);
      if (b !== undefined) b = limitSplits(b, po.maxLength, side);
    }
    const enc = postProcess(a, b, this.template, po);
    // Do not keep the memory of one huge input alive in the reused sinks.
    if (sink.ids.length > SINK_KEEP) this.sink = new TokenSink(1024);
    if (this.sinkB.ids.length > SINK_KEEP) this.sinkB = new TokenSink(256);
    return enc;
  }

  /** Encodes each input (no padding unless asked); overflowing windows stay in `overflowing`. */
  encodeAll(inputs: readonly EncodeInput[], options: EncodeOptions = {}): Encoding[] {
    if (!Array.isArray(inputs)) throw new TokenizerInputError('expected an array of inputs');
    const po = this.postOptions(
      { ...options, padding: options.padding === 'longest' ? 'none' : options.padding },
      undefined,
    );
    const out: Encoding[] = new Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const [t, p] = readInput(inputs[i], i);
      out[i] = this.encodeOne(t, p, po, options.truncationEarlyExit === true);
    }
    return out;
  }

  /**
   * Encodes a batch into padded typed arrays (padding to the longest row unless `padding: 'max_length'`).
   * Overflowing windows (with `returnOverflowing`) become extra rows; `inputIndices` maps rows to inputs.
   *
   * @example
   * const batch = tokenizer.encodeBatch(['a short one', ['a', 'pair']], { maxLength: 64 });
   * batch.ids.length === batch.batchSize * batch.seqLength;
   */
  encodeBatch(inputs: readonly EncodeInput[], options: BatchOptions = {}): TokenBatch {
    const { rows, index } = this.encodeBatchRows(inputs, options);
    if (options.sortByLength) {
      const order = rows
        .map((_, k) => k)
        .sort((x, y) => (rows[y] as Encoding).length - (rows[x] as Encoding).length || x - y);
      const sortedRows = order.map((k) => rows[k] as Encoding);
      const sortedIndex = order.map((k) => index[k] as number);
      return this.pack(sortedRows, sortedIndex, options);
    }
    return this.pack(rows, index, options);
  }

  /**
   * `encodeBatch`, on the worker threads of `options.pool` when the batch has at least `pool.minBatchSize`
   * inputs (on this thread otherwise). The pool must have been created from this tokenizer.
   *
   * @example
   * const pool = createTokenizerPool(tokenizer, { size: 4 });
   * const batch = await tokenizer.encodeBatchAsync(lines, { pool, maxLength: 128 });
   * await pool.dispose();
   */
  async encodeBatchAsync(
    inputs: readonly EncodeInput[],
    options: BatchOptions & { readonly pool?: BatchPool } = {},
  ): Promise<TokenBatch> {
    const { pool, ...rest } = options;
    if (pool === undefined || !Array.isArray(inputs) || inputs.length < pool.minBatchSize)
      return this.encodeBatch(inputs, rest);
    if (!pool.isFor(this))
      throw new TokenizerOptionError('pool', 'the pool was created for another tokenizer');
    return pool.encodeBatch(inputs, rest);
  }

  /**
   * One chunk of a pooled batch: the unsorted batch with input indices shifted by `base`, and each row's
   * encoding length (the key `sortByLength` sorts on). Internal to the worker pool.
   */
  encodeChunk(
    inputs: readonly EncodeInput[],
    options: BatchOptions,
    base: number,
  ): { batch: TokenBatch; rowLengths: Int32Array } {
    const { rows, index } = this.encodeBatchRows(inputs, options);
    for (let k = 0; k < index.length; k++) index[k] = (index[k] as number) + base;
    return {
      batch: this.pack(rows, index, options),
      rowLengths: Int32Array.from(rows, (r) => r.length),
    };
  }

  /**
   * Encodes, sorts by length and splits into buckets, each padded only to its own longest row, so
   * that little compute goes to padding. Every bucket's `inputIndices` maps its rows back to inputs.
   */
  encodeBuckets(inputs: readonly EncodeInput[], options: BucketOptions = {}): TokenBatch[] {
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new TokenizerOptionError(
        'batchSize',
        `expected an integer >= 1, got ${JSON.stringify(batchSize)}`,
      );
    }
    const maxTokens = options.maxTokensPerBatch;
    if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1)) {
      throw new TokenizerOptionError(
        'maxTokensPerBatch',
        `expected an integer >= 1, got ${JSON.stringify(maxTokens)}`,
      );
    }
    const all = this.encodeBatchRows(inputs, options);
    const order = all.rows
      .map((_, k) => k)
      .sort((x, y) => (all.rows[y] as Encoding).length - (all.rows[x] as Encoding).length || x - y);
    const buckets: TokenBatch[] = [];
    let start = 0;
    while (start < order.length) {
      const longest = (all.rows[order[start] as number] as Encoding).length;
      let end = start + 1;
      while (
        end < order.length &&
        end - start < batchSize &&
        (maxTokens === undefined || (end - start + 1) * longest <= maxTokens)
      ) {
        end++;
      }
      const ks = order.slice(start, end);
      buckets.push(
        this.pack(
          ks.map((k) => all.rows[k] as Encoding),
          ks.map((k) => all.index[k] as number),
          options,
        ),
      );
      start = end;
    }
    return buckets;
  }

  private encodeBatchRows(
    inputs: readonly EncodeInput[],
    options: EncodeOptions,
  ): { rows: Encoding[]; index: number[] } {
    const encs = this.encodeAll(inputs, options);
    const rows: Encoding[] = [];
    const index: number[] = [];
    for (let i = 0; i < encs.length; i++) {
      const e = encs[i] as Encoding;
      rows.push(e);
      index.push(i);
      for (const o of e.overflowing) {
        rows.push(o);
        index.push(i);
      }
    }
    return { rows, index };
  }

  private pack(rows: readonly Encoding[], index: readonly number[], options: EncodeOptions): TokenBatch {
    const side: Side = options.paddingSide ?? 'right';
    let seqLength: number | undefined;
    if (options.padding === 'max_length') seqLength = options.padLength ?? options.maxLength;
    return packBatch(rows, index, this.padId, seqLength, options.padToMultipleOf ?? 0, side);
  }
}
