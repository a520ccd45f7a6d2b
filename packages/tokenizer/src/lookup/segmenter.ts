import { TokenizerOptionError } from '../errors';
import { bertUnicode, F_CJK, F_PUNCT, F_SPLIT_WS } from '../unicode/tables';

/** Plain data that rebuilds a segmenter in a worker thread. */
export type SegmenterSpec =
  | { readonly kind: 'intl'; readonly locale?: string | readonly string[] }
  | { readonly kind: 'whitespace' }
  | { readonly kind: 'jieba'; readonly hmm: boolean; readonly dict?: Uint8Array };

/**
 * Splits text into words for `WordTokenizer`. Implementations report `[start, end)` ranges in UTF-16 code
 * units of `text`, in order and without overlap; ranges may include surrounding whitespace (the tokenizer
 * trims it) and whitespace-only ranges are ignored. Text outside every range produces no token.
 */
export interface Segmenter {
  /** Appends the word ranges of `text[from, to)` to `out` as flat `start, end` pairs. */
  segment(text: string, from: number, to: number, out: number[]): void;
  /** Plain data to rebuild the segmenter in a worker (`createTokenizerPool`); absent when it cannot be. */
  toSpec?(): SegmenterSpec;
}

/**
 * Word segmentation by `Intl.Segmenter` (ICU word boundaries; dictionary-based for Chinese, Japanese, Thai).
 * Punctuation marks come out as their own words. Text is segmented in pieces of at most 512 UTF-16 units,
 * cut before whitespace or after punctuation when there is any in the second half of the piece (else a
 * word may be cut in two). Exact but slow (about 1 MB/s on Node 20): use `WhitespaceSegmenter` for spaced
 * languages and the jieba adapter for speed on Chinese.
 *
 * @example
 * const seg = new IntlSegmenter('zh'); // the default of WordTokenizer is new IntlSegmenter()
 */
export class IntlSegmenter implements Segmenter {
  /** The locale(s) given (default: the runtime's default locale). */
  readonly locale: string | readonly string[] | undefined;
  private readonly seg: Intl.Segmenter;

  constructor(locale?: string | readonly string[]) {
    if (locale !== undefined && typeof locale !== 'string' && !Array.isArray(locale)) {
      throw new TokenizerOptionError(
        'locale',
        `expected a BCP 47 tag or an array of them, got ${typeof locale}`,
      );
    }
    try {
      this.seg = new Intl.Segmenter(locale as string | string[] | undefined, { granularity: 'word' });
    } catch (e) {
      throw new TokenizerOptionError('locale', `not a valid locale: ${(e as Error).message}`);
    }
    this.locale = locale;
  }

  segment(text: string, from: number, to: number, out: number[]): void {
    // V8's segment iterator gets superlinearly slower with the string's length (16 Ki units: 0.2 s,
    // 64 Ki: 30 s on Node 20), so feed it pieces of at most INTL_PIECE units, cut where ICU has a word
    // boundary anyway (before whitespace, after sentence punctuation) whenever the text has one.
    let start = from;
    while (start < to) {
      const end = to - start <= INTL_PIECE ? to : pieceEnd(text, start, to);
      const s = start === 0 && end === text.length ? text : text.slice(start, end);
      for (const { segment, index, isWordLike } of this.seg.segment(s)) {
        // Non-word segments are punctuation (kept) or whitespace (skipped here, cheaper than trimming later).
        if (!isWordLike && isAllSpace(segment)) continue;
        out.push(start + index, start + index + segment.length);
      }
      start = end;
    }
  }

  toSpec(): SegmenterSpec {
    return this.locale === undefined ? { kind: 'intl' } : { kind: 'intl', locale: this.locale };
  }
}

/** Longest piece given to `Intl.Segmenter` at once (UTF-16 units). */
const INTL_PIECE = 512;
const PIECE_BREAK = new Set([
  0x0a, 0x2e, 0x21, 0x3f, 0x3b, 0x2c, 0x3002, 0xff01, 0xff1f, 0xff1b, 0xff0c, 0x3001,
]);

function pieceEnd(text: string, from: number, to: number): number {
  const flags = bertUnicode().flags;
  const target = from + INTL_PIECE;
  const floor = from + (INTL_PIECE >> 1);
  for (let i = target; i > floor; i--)
    if (((flags[text.charCodeAt(i)] as number) & F_SPLIT_WS) !== 0) return i;
  for (let i = target; i > floor; i--) if (PIECE_BREAK.has(text.charCodeAt(i - 1))) return i;
  return (text.charCodeAt(target) & 0xfc00) === 0xdc00 ? target + 1 : Math.min(target, to);
}

function isAllSpace(s: string): boolean {
  const flags = bertUnicode().flags;
  for (let i = 0; i < s.length; i++)
    if (((flags[s.charCodeAt(i)] as number) & F_SPLIT_WS) === 0) return false;
  return true;
}

/**
 * BERT's pre-tokenizer rules, without ICU: words are runs between whitespace, each punctuation character
 * (Unicode P* and ASCII symbols) is a word, and so is each CJK ideograph. Fast, and right for spaced
 * languages; use `IntlSegmenter` or the jieba adapter for Chinese words.
 */
export class WhitespaceSegmenter implements Segmenter {
  segment(text: string, from: number, to: number, out: number[]): void {
    const flags = bertUnicode().flags;
    let ws = -1;
    let i = from;
    while (i < to) {
      let c = text.charCodeAt(i);
      let len = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          len = 2;
        }
      }
      const f = flags[c] as number;
      if ((f & (F_SPLIT_WS | F_PUNCT | F_CJK)) === 0) {
        if (ws < 0) ws = i;
      } else {
        if (ws >= 0) out.push(ws, i);
        ws = -1;
        if ((f & F_SPLIT_WS) === 0) out.push(i, i + len);
      }
      i += len;
    }
    if (ws >= 0) out.push(ws, to);
  }

  toSpec(): SegmenterSpec {
    return { kind: 'whitespace' };
  }
}

/** The part of `@node-rs/jieba`'s `Jieba` that the adapter uses. */
export interface JiebaLike {
  cut(sentence: string, hmm?: boolean | null): string[];
}

/** Options of `createJiebaSegmenter`. */
export interface JiebaSegmenterOptions {
  /** Let jieba's HMM find words missing from its dictionary (default false, as `Jieba.cut`). */
  readonly hmm?: boolean;
  /**
   * The dictionary the instance was built with, so a worker pool can rebuild it (`Jieba.withDict(dict)`);
   * default: `@node-rs/jieba/dict`'s default dictionary.
   */
  readonly dict?: Uint8Array;
}

/**
 * Adapts an instance of `@node-rs/jieba`'s `Jieba` (an optional peer dependency: this package never imports
 * it, you pass the instance) to the `Segmenter` interface. Offsets come from jieba's pieces, which tile the
 * text; anything jieba drops or changes becomes a word of its own (and so `[UNK]`, not lost text).
 *
 * @example
 * import { Jieba } from '@node-rs/jieba';
 * import { dict } from '@node-rs/jieba/dict';
 * const tok = new WordTokenizer(vocab, { segmenter: createJiebaSegmenter(Jieba.withDict(dict)) });
 */
export function createJiebaSegmenter(jieba: JiebaLike, options: JiebaSegmenterOptions = {}): Segmenter {
  if (typeof jieba !== 'object' || jieba === null || typeof (jieba as JiebaLike).cut !== 'function') {
    throw new TokenizerOptionError(
      'jieba',
      "expected an instance of @node-rs/jieba's Jieba (with a cut method)",
    );
  }
  const hmm = options.hmm ?? false;
  if (typeof hmm !== 'boolean')
    throw new TokenizerOptionError('hmm', `expected a boolean, got ${JSON.stringify(hmm)}`);
  const dict = options.dict;
  if (dict !== undefined && !(dict instanceof Uint8Array))
    throw new TokenizerOptionError('dict', 'expected a Uint8Array');
  return {
    segment(text: string, from: number, to: number, out: number[]): void {
      const words = jieba.cut(text.slice(from, to), hmm);
      let pos = from;
      for (const w of words) {
        if (w.length === 0) continue;
        if (text.startsWith(w, pos) && pos + w.length <= to) {
          out.push(pos, pos + w.length);
          pos += w.length;
          continue;
        }
        const at = text.indexOf(w, pos);
        if (at < 0 || at + w.length > to) continue;
        if (at > pos) out.push(pos, at);
        out.push(at, at + w.length);
        pos = at + w.length;
      }
      if (pos < to) out.push(pos, to);
    },
    toSpec(): SegmenterSpec {
      return dict === undefined ? { kind: 'jieba', hmm } : { kind: 'jieba', hmm, dict };
    },
  };
}
