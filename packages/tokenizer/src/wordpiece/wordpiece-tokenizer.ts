import { type AddedToken, AddedTokenMatcher } from '../added-tokens';
import { bertTemplate, type PostTemplate } from '../encoding';
import { TokenizerOptionError } from '../errors';
import type { TokenSink } from '../token-sink';
import { BaseTokenizer, type TokenizerSpec } from '../tokenizer';
import { Vocabulary } from '../vocabulary';
import { BertPipeline } from './bert-pipeline';
import { WordPieceModel } from './wordpiece-model';

/** Special tokens by role. */
export interface SpecialTokens {
  readonly unk: string;
  readonly cls: string;
  readonly sep: string;
  readonly pad: string;
  readonly mask: string;
}

/** An added token as configured (tokenizer.json `added_tokens`); flags default as for special tokens. */
export interface AddedTokenInit {
  readonly content: string;
  /** Defaults to the vocabulary's id of `content`. */
  readonly id?: number;
  readonly special?: boolean;
  readonly normalized?: boolean;
  readonly lstrip?: boolean;
  readonly rstrip?: boolean;
  readonly singleWord?: boolean;
}

/** Options of a WordPiece tokenizer; the defaults are those of `bert-base-uncased`. */
export interface WordPieceOptions {
  /** Lowercase (Rust `char::to_lowercase`) (default true). */
  readonly lowercase?: boolean;
  /** Strip accents (NFD, drop Mn) (default: same as `lowercase`). */
  readonly stripAccents?: boolean;
  /** Split CJK ideographs into single tokens (default true). */
  readonly handleChineseChars?: boolean;
  /** Drop control characters and normalize whitespace (default true). */
  readonly cleanText?: boolean;
  /** Special tokens (default `[UNK]`, `[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`). */
  readonly specialTokens?: Partial<SpecialTokens>;
  /** WordPiece continuation prefix (default `##`). */
  readonly continuingSubwordPrefix?: string;
  /** Longer words (in code points) become `[UNK]` (default 100). */
  readonly maxInputCharsPerWord?: number;
  /**
   * Tokens matched before WordPiece (default: the five special tokens that are in the vocabulary,
   * matched on the original text, as Hugging Face's BertTokenizer does).
   */
  readonly addedTokens?: readonly AddedTokenInit[];
  /** Post-processing template (default BERT's `[CLS] A [SEP] B [SEP]`). */
  readonly template?: PostTemplate;
  /** The model's `model_max_length`, when known. */
  readonly modelMaxLength?: number;
  /** Longest text tokenized in full, in UTF-16 code units (default 16 Mi; see `BaseTokenizer.maxInputLength`). */
  readonly maxInputLength?: number;
}

const DEFAULT_SPECIAL: SpecialTokens = {
  unk: '[UNK]',
  cls: '[CLS]',
  sep: '[SEP]',
  pad: '[PAD]',
  mask: '[MASK]',
};

function bool(name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean')
    throw new TokenizerOptionError(name, `expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * WordPiece tokenization exactly as Hugging Face's BertTokenizer (the `tokenizers` pipeline:
 * BertNormalizer, BertPreTokenizer, WordPiece, BERT post-processing), with offsets in UTF-16 code units.
 *
 * @example
 * const tok = new WordPieceTokenizer(Vocabulary.fromText(readFileSync('vocab.txt', 'utf8')), { lowercase: true });
 * tok.encode('Hello, world!', 'Second text').ids;
 */
export class WordPieceTokenizer extends BaseTokenizer {
  /** The resolved options. */
  readonly options: Required<
    Omit<WordPieceOptions, 'template' | 'modelMaxLength' | 'maxInputLength' | 'specialTokens' | 'addedTokens'>
  > & {
    readonly specialTokens: SpecialTokens;
  };
  /** The tokens matched before WordPiece. */
  readonly addedTokens: readonly AddedToken[];
  private readonly pipeline: BertPipeline;
  private readonly model: WordPieceModel;
  private readonly customTemplate: PostTemplate | undefined;

  constructor(vocab: Vocabulary | readonly string[], options: WordPieceOptions = {}) {
    const v = vocab instanceof Vocabulary ? vocab : new Vocabulary(vocab);
    if (typeof options !== 'object' || options === null)
      throw new TokenizerOptionError('options', 'expected an object');
    const specialTokens: SpecialTokens = { ...DEFAULT_SPECIAL, ...(options.specialTokens ?? {}) };
    for (const [role, t] of Object.entries(specialTokens)) {
      if (typeof t !== 'string' || t.length === 0)
        throw new TokenizerOptionError(`specialTokens.${role}`, 'expected a non-empty string');
    }
    const unkId = v.require(specialTokens.unk, 'unknown');
    const clsId = v.require(specialTokens.cls, 'classifier');
    const sepId = v.require(specialTokens.sep, 'separator');
    const padId = v.tokenToId(specialTokens.pad) ?? 0;
    super(
      v,
      unkId,
      padId,
      options.template ?? bertTemplate(clsId, sepId),
      options.modelMaxLength,
      options.maxInputLength,
    );
    this.customTemplate = options.template;
    const lowercase = bool('lowercase', options.lowercase, true);
    const prefix = options.continuingSubwordPrefix ?? '##';
    if (typeof prefix !== 'string')
      throw new TokenizerOptionError('continuingSubwordPrefix', 'expected a string');
    const maxChars = options.maxInputCharsPerWord ?? 100;
    if (!Number.isInteger(maxChars) || maxChars < 0) {
      throw new TokenizerOptionError(
        'maxInputCharsPerWord',
        `expected an integer >= 0, got ${JSON.stringify(maxChars)}`,
      );
    }
    this.options = {
      lowercase,
      stripAccents: bool('stripAccents', options.stripAccents, lowercase),
      handleChineseChars: bool('handleChineseChars', options.handleChineseChars, true),
      cleanText: bool('cleanText', options.cleanText, true),
      specialTokens,
      continuingSubwordPrefix: prefix,
      maxInputCharsPerWord: maxChars,
    };
    this.model = new WordPieceModel(v, unkId, prefix, maxChars);
    const inits: readonly AddedTokenInit[] =
      options.addedTokens ??
      Object.values(specialTokens)
        .filter((t) => v.tokenToId(t) !== undefined)
        .map((content) => ({ content, special: true, normalized: false }));
    const added: AddedToken[] = inits.map((t, i) => {
      if (typeof t !== 'object' || t === null || typeof t.content !== 'string') {
        throw new TokenizerOptionError(`addedTokens[${i}]`, 'expected { content: string, … }');
      }
      const id = t.id ?? v.tokenToId(t.content);
      if (id === undefined || !Number.isInteger(id) || id < 0) {
        throw new TokenizerOptionError(
          `addedTokens[${i}]`,
          `${JSON.stringify(t.content)} has no id in the vocabulary`,
        );
      }
      return {
        content: t.content,
        id,
        special: t.special ?? true,
        normalized: t.normalized ?? !(t.special ?? true),
        lstrip: t.lstrip ?? false,
        rstrip: t.rstrip ?? false,
        singleWord: t.singleWord ?? false,
      };
    });
    this.addedTokens = added;
    const original = added.filter((t) => !t.normalized);
    const normalized = added.filter((t) => t.normalized);
    const base = new BertPipeline(this.options, this.model, undefined, undefined);
    const normalizedForms = new Map(normalized.map((t) => [t, base.normalizeToString(t.content)]));
    this.pipeline = new BertPipeline(
      this.options,
      this.model,
      original.length > 0 ? new AddedTokenMatcher(original) : undefined,
      normalized.length > 0
        ? new AddedTokenMatcher(normalized, (t) => normalizedForms.get(t) ?? t.content)
        : undefined,
    );
  }

  protected tokenizeInto(text: string, out: TokenSink): void {
    this.pipeline.run(text, 0, text.length, out);
  }

  /** The normalized text (BertNormalizer only), for inspection. */
  normalize(text: string): string {
    return this.pipeline.normalizeToString(text);
  }

  /** Bytes held by the WordPiece lookup structures (the tries). */
  get lookupByteLength(): number {
    return this.model.byteLength;
  }

  /**
   * Ids back to text, as `tokenizers`' WordPiece decoder: continuation pieces are glued to the previous
   * token, others separated by a space, then the usual spacing cleanup.
   */
  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean; cleanup?: boolean } = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    const special = new Set(this.addedTokens.filter((t) => t.special).map((t) => t.id));
    const prefix = this.options.continuingSubwordPrefix;
    let s = '';
    let first = true;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (skip && special.has(id)) continue;
      const t = this.vocab.idToToken(id);
      if (t === undefined) continue;
      if (!first && t.startsWith(prefix)) s += t.slice(prefix.length);
      else s += first ? t : ` ${t}`;
      first = false;
    }
    if (options.cleanup ?? true) {
      s = s
        .replaceAll(' .', '.')
        .replaceAll(' ?', '?')
        .replaceAll(' !', '!')
        .replaceAll(' ,', ',')
        .replaceAll(" ' ", "'")
        .replaceAll(" n't", "n't")
        .replaceAll(" 'm", "'m")
        .replaceAll(' do not', " don't")
        .replaceAll(" 's", "'s")
        .replaceAll(" 've", "'ve")
        .replaceAll(" 're", "'re");
    }
    return s;
  }

  toSpec(): TokenizerSpec {
    return {
      kind: 'wordpiece',
      vocab: this.vocab.tokens,
      options: {
        ...this.options,
        addedTokens: this.addedTokens.map((t) => ({ ...t })),
        template: this.customTemplate,
        modelMaxLength: this.modelMaxLength,
        maxInputLength: this.maxInputLength,
      },
    };
  }
}
