import { TokenizerOptionError } from '../errors';
import type { TokenSink } from '../token-sink';
import type { TokenizerSpec } from '../tokenizer';
import { bertUnicode, F_SPLIT_WS } from '../unicode/tables';
import type { Vocabulary } from '../vocabulary';
import { type LookupOptions, LookupTokenizer } from './lookup-base';
import { IntlSegmenter, type Segmenter } from './segmenter';

/** Options of a word-level tokenizer. */
export interface WordOptions extends LookupOptions {
  /** How to find words (default `new IntlSegmenter()`; `WhitespaceSegmenter`, `createJiebaSegmenter(jieba)`). */
  readonly segmenter?: Segmenter;
  /** Words longer than this (in code points) become `[UNK]` without a lookup (default 100). */
  readonly maxInputCharsPerWord?: number;
}

/** Texts longer than this (UTF-16 units) are segmented in pieces of about this size (see `WordTokenizer`). */
export const WORD_CHUNK = 1 << 14;

const SENTENCE_END = new Set([0x0a, 0x2e, 0x21, 0x3f, 0x3b, 0x3002, 0xff01, 0xff1f, 0xff1b, 0xff0e]);

/**
 * Word-level tokenization: a segmenter finds the words, each word is looked up whole in the vocabulary
 * (lowercased when the vocabulary is uncased), `[UNK]` when absent. Offsets are UTF-16 code units.
 *
 * A text longer than 16 Ki units is segmented in pieces cut at whitespace, else after a sentence end
 * (`。！？.!?;` or a newline), else at a fixed point, so segmenter memory stays bounded; only a run of over
 * 4 Ki units without any of those can have a word cut in two.
 *
 * @example
 * const tok = new WordTokenizer(vocab, { segmenter: new IntlSegmenter('zh') });
 * tok.encode('我们在北京。').ids;
 */
export class WordTokenizer extends LookupTokenizer {
  /** The segmenter. */
  readonly segmenter: Segmenter;
  /** Longer words become `[UNK]`. */
  readonly maxInputCharsPerWord: number;
  private readonly ranges: number[] = [];

  constructor(vocab: Vocabulary | readonly string[], options: WordOptions = {}) {
    super(vocab, options);
    const seg = options.segmenter ?? new IntlSegmenter();
    if (typeof seg !== 'object' || seg === null || typeof seg.segment !== 'function') {
      throw new TokenizerOptionError(
        'segmenter',
        'expected an object with a segment(text, from, to, out) method',
      );
    }
    const max = options.maxInputCharsPerWord ?? 100;
    if (!Number.isInteger(max) || max < 1) {
      throw new TokenizerOptionError(
        'maxInputCharsPerWord',
        `expected an integer >= 1, got ${JSON.stringify(max)}`,
      );
    }
    this.segmenter = seg;
    this.maxInputCharsPerWord = max;
  }

  protected tokenizeText(text: string, from: number, to: number, out: TokenSink): void {
    let start = from;
    while (start < to) {
      if (out.length >= out.limit) return;
      const end = to - start <= WORD_CHUNK ? to : cutPoint(text, start, to);
      this.words(text, start, end, out);
      start = end;
    }
  }

  private words(text: string, from: number, to: number, out: TokenSink): void {
    const ranges = this.ranges;
    ranges.length = 0;
    this.segmenter.segment(text, from, to, ranges);
    const flags = bertUnicode().flags;
    const max = this.maxInputCharsPerWord;
    let prev = from;
    for (let k = 0; k < ranges.length; k += 2) {
      let s = ranges[k] as number;
      let e = ranges[k + 1] as number;
      if (!(Number.isInteger(s) && Number.isInteger(e) && s >= prev && e >= s && e <= to)) {
        throw new TokenizerOptionError(
          'segmenter',
          `returned the range [${s}, ${e}) in a text segment [${from}, ${to}) after ${prev}: ranges must be in order, inside, and not overlap`,
        );
      }
      prev = e;
      while (s < e && ((flags[text.charCodeAt(s)] as number) & F_SPLIT_WS) !== 0) s++;
      while (e > s && ((flags[text.charCodeAt(e - 1)] as number) & F_SPLIT_WS) !== 0) e--;
      if (s === e) continue;
      if (out.length >= out.limit) break;
      let id: number;
      if (e - s > max && codePoints(text, s, e) > max) id = this.unkId;
      else id = this.lookup(text.slice(s, e));
      out.beginSplit();
      out.push(id, s, e);
    }
    ranges.length = 0;
  }

  toSpec(): TokenizerSpec {
    return {
      kind: 'word',
      vocab: this.vocab.tokens,
      options: {
        ...this.commonSpecOptions(),
        maxInputCharsPerWord: this.maxInputCharsPerWord,
        segmenter: this.segmenter.toSpec?.() ?? null,
      },
    };
  }
}

function codePoints(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if ((text.charCodeAt(i) & 0xfc00) !== 0xdc00) n++;
  return n;
}

/** Where to end the piece that starts at `from` (see `WordTokenizer`). */
function cutPoint(text: string, from: number, to: number): number {
  const flags = bertUnicode().flags;
  const target = from + WORD_CHUNK;
  const floor = target - (WORD_CHUNK >> 2);
  for (let i = target; i > floor; i--)
    if (((flags[text.charCodeAt(i)] as number) & F_SPLIT_WS) !== 0) return i;
  for (let i = target; i > floor; i--) if (SENTENCE_END.has(text.charCodeAt(i - 1))) return i;
  // No boundary: cut anyway, but never between the halves of a surrogate pair.
  return (text.charCodeAt(target) & 0xfc00) === 0xdc00 ? target + 1 : Math.min(target, to);
}
