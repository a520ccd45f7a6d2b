import { type AddedToken, AddedTokenMatcher } from '../added-tokens';
import { bertTemplate, type PostTemplate } from '../encoding';
import { TokenizerOptionError } from '../errors';
import type { TokenSink } from '../token-sink';
import { BaseTokenizer } from '../tokenizer';
import { bertUnicode, F_LOWER } from '../unicode/tables';
import { Vocabulary } from '../vocabulary';
import type { AddedTokenInit, SpecialTokens } from '../wordpiece/wordpiece-tokenizer';

/** Options shared by the char-level and word-level tokenizers. */
export interface LookupOptions {
  /**
   * Lowercase before the vocabulary lookup (Rust `char::to_lowercase` per code point, as the WordPiece
   * tokenizer does). Default `'auto'`: lowercase when the vocabulary is uncased, i.e. no token other than
   * bracketed specials such as `[CLS]` or `<S>` changes when lowercased.
   */
  readonly lowercase?: boolean | 'auto';
  /** Special tokens (default `[UNK]`, `[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`); `unk` must be in the vocabulary. */
  readonly specialTokens?: Partial<SpecialTokens>;
  /**
   * Tokens matched in the original text before splitting (default: the five special tokens that are in the
   * vocabulary, so a literal `[MASK]` in the text is one token, as with WordPiece).
   */
  readonly addedTokens?: readonly AddedTokenInit[];
  /** Post-processing template (default BERT's `[CLS] A [SEP] B [SEP]`; `[CLS]` and `[SEP]` must then exist). */
  readonly template?: PostTemplate;
  /** The model's `model_max_length`, when known. */
  readonly modelMaxLength?: number;
  /** Longest text tokenized in full, in UTF-16 code units (default 16 Mi; see `BaseTokenizer.maxInputLength`). */
  readonly maxInputLength?: number;
}

/** The resolved common options, as `toSpec()` records them. */
export interface ResolvedLookupOptions {
  readonly lowercase: boolean;
  readonly specialTokens: SpecialTokens;
}

const DEFAULT_SPECIAL: SpecialTokens = {
  unk: '[UNK]',
  cls: '[CLS]',
  sep: '[SEP]',
  pad: '[PAD]',
  mask: '[MASK]',
};

const BRACKETED = /^(\[[^\]]*\]|<[^>]*>)$/;

/** Whether a vocabulary is uncased: no token except bracketed specials changes when lowercased. */
export function isUncasedVocab(vocab: Vocabulary): boolean {
  for (const t of vocab.tokens) {
    if (lowercaseKey(t) !== t && !BRACKETED.test(t)) return false;
  }
  return true;
}

/** Rust `char::to_lowercase`, one code point at a time (no final-sigma rule), with an ASCII fast path. */
export function lowercaseKey(s: string): string {
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || (c >= 0x41 && c <= 0x5a)) break;
  }
  if (i === s.length) return s;
  const u = bertUnicode();
  let out = s.slice(0, i);
  while (i < s.length) {
    let c = s.charCodeAt(i);
    let len = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        len = 2;
      }
    }
    if (((u.flags[c] as number) & F_LOWER) !== 0) {
      for (const x of u.lower.get(c) as readonly number[]) out += String.fromCodePoint(x);
    } else out += s.slice(i, i + len);
    i += len;
  }
  return out;
}

/**
 * What the char-level and word-level tokenizers share: vocabulary and special tokens, case folding, added
 * tokens matched on the original text, and `[UNK]` for what the vocabulary lacks. Subclasses split a stretch
 * of text without added tokens (`tokenizeText`).
 */
export abstract class LookupTokenizer extends BaseTokenizer {
  /** The resolved common options. */
  readonly resolved: ResolvedLookupOptions;
  /** The tokens matched before splitting. */
  readonly addedTokens: readonly AddedToken[];
  protected readonly lowercase: boolean;
  private readonly matcher: AddedTokenMatcher | undefined;
  private readonly customTemplate: PostTemplate | undefined;

  protected constructor(vocab: Vocabulary | readonly string[], options: LookupOptions) {
    const v = vocab instanceof Vocabulary ? vocab : new Vocabulary(vocab);
    if (typeof options !== 'object' || options === null)
      throw new TokenizerOptionError('options', 'expected an object');
    const specialTokens: SpecialTokens = { ...DEFAULT_SPECIAL, ...(options.specialTokens ?? {}) };
    for (const [role, t] of Object.entries(specialTokens)) {
      if (typeof t !== 'string' || t.length === 0)
        throw new TokenizerOptionError(`specialTokens.${role}`, 'expected a non-empty string');
    }
    const unkId = v.require(specialTokens.unk, 'unknown');
    let template = options.template;
    if (template === undefined) {
      template = bertTemplate(
        v.require(specialTokens.cls, 'classifier'),
        v.require(specialTokens.sep, 'separator'),
      );
    } else if (
      typeof template !== 'object' ||
      template === null ||
      !Array.isArray(template.single) ||
      !Array.isArray(template.pair)
    ) {
      throw new TokenizerOptionError(
        'template',
        'expected { single: TemplatePiece[], pair: TemplatePiece[] }',
      );
    }
    const lc = options.lowercase ?? 'auto';
    if (lc !== 'auto' && typeof lc !== 'boolean') {
      throw new TokenizerOptionError(
        'lowercase',
        `expected true, false or "auto", got ${JSON.stringify(lc)}`,
      );
    }
    const mml = options.modelMaxLength;
    if (mml !== undefined && (!Number.isInteger(mml) || mml < 1)) {
      throw new TokenizerOptionError(
        'modelMaxLength',
        `expected an integer >= 1, got ${JSON.stringify(mml)}`,
      );
    }
    super(v, unkId, v.tokenToId(specialTokens.pad) ?? 0, template, mml, options.maxInputLength);
    this.customTemplate = options.template;
    this.lowercase = lc === 'auto' ? isUncasedVocab(v) : lc;
    this.resolved = { lowercase: this.lowercase, specialTokens };
    const inits: readonly AddedTokenInit[] =
      options.addedTokens ??
      Object.values(specialTokens)
        .filter((t) => v.tokenToId(t) !== undefined)
        .map((content) => ({ content, special: true, normalized: false }));
    if (!Array.isArray(inits)) throw new TokenizerOptionError('addedTokens', 'expected an array');
    this.addedTokens = inits.map((t, i): AddedToken => {
      if (typeof t !== 'object' || t === null || typeof t.content !== 'string' || t.content.length === 0) {
        throw new TokenizerOptionError(`addedTokens[${i}]`, 'expected { content: non-empty string, … }');
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
        normalized: t.normalized ?? false,
        lstrip: t.lstrip ?? false,
        rstrip: t.rstrip ?? false,
        singleWord: t.singleWord ?? false,
      };
    });
    this.matcher = this.addedTokens.length > 0 ? new AddedTokenMatcher(this.addedTokens) : undefined;
  }

  /** Appends the tokens of `text[from, to)`, which holds no added token. */
  protected abstract tokenizeText(text: string, from: number, to: number, out: TokenSink): void;

  protected tokenizeInto(text: string, out: TokenSink): void {
    const m = this.matcher;
    if (m === undefined || !m.mayMatch(text, 0, text.length)) {
      this.tokenizeText(text, 0, text.length, out);
      return;
    }
    const parts: { start: number; end: number; id: number }[] = [];
    m.split((i) => text.charCodeAt(i), 0, text.length, parts);
    for (const p of parts) {
      if (out.length >= out.limit) return;
      if (p.id >= 0) out.push(p.id, p.start, p.end);
      else this.tokenizeText(text, p.start, p.end, out);
    }
  }

  /** Id of a surface string (lowercased when configured), or the unknown id. */
  protected lookup(surface: string): number {
    return this.vocab.tokenToId(this.lowercase ? lowercaseKey(surface) : surface) ?? this.unkId;
  }

  /** The options every lookup tokenizer's spec carries. */
  protected commonSpecOptions(): Record<string, unknown> {
    return {
      lowercase: this.lowercase,
      specialTokens: this.resolved.specialTokens,
      addedTokens: this.addedTokens.map((t) => ({ ...t })),
      template: this.customTemplate,
      modelMaxLength: this.modelMaxLength,
      maxInputLength: this.maxInputLength,
    };
  }
}
