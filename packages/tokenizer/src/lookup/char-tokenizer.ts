import type { TokenSink } from '../token-sink';
import type { TokenizerSpec } from '../tokenizer';
import { bertUnicode, F_CONTROL, F_SPLIT_WS } from '../unicode/tables';
import type { Vocabulary } from '../vocabulary';
import { type LookupOptions, LookupTokenizer, lowercaseKey } from './lookup-base';

/** Options of a char-level tokenizer (see `LookupOptions`). */
export type CharOptions = LookupOptions;

const SKIP = -1;
const SURROGATE = -2;

/**
 * Char-level tokenization: one token per code point, looked up in the vocabulary (lowercased when the
 * vocabulary is uncased), `[UNK]` when absent. Whitespace and control characters (as BERT's clean_text sees
 * them) produce no token. Offsets are UTF-16 code units of the input (2 for a character outside the BMP).
 *
 * @example
 * const tok = new CharTokenizer(Vocabulary.fromText(readFileSync('vocab.txt', 'utf8')));
 * tok.tokenize('中文 ok'); // ['中', '文', 'o', 'k']
 */
export class CharTokenizer extends LookupTokenizer {
  /** Per BMP code unit: the token id, `SKIP` (whitespace, control) or `SURROGATE` (look at the pair). */
  private readonly bmp: Int32Array;

  constructor(vocab: Vocabulary | readonly string[], options: CharOptions = {}) {
    super(vocab, options);
    const flags = bertUnicode().flags;
    const bmp = new Int32Array(65536);
    for (let c = 0; c < 65536; c++) {
      const f = flags[c] as number;
      if (c >= 0xd800 && c <= 0xdfff) bmp[c] = SURROGATE;
      else if ((f & (F_SPLIT_WS | F_CONTROL)) !== 0 && c !== 0xfffd) bmp[c] = SKIP;
      else bmp[c] = this.lookup(String.fromCharCode(c));
    }
    this.bmp = bmp;
  }

  /** Bytes held by the lookup table. */
  get lookupByteLength(): number {
    return this.bmp.byteLength;
  }

  protected tokenizeText(text: string, from: number, to: number, out: TokenSink): void {
    const bmp = this.bmp;
    const limit = out.limit;
    for (let i = from; i < to; i++) {
      const v = bmp[text.charCodeAt(i)] as number;
      if (v >= 0) {
        if (out.length >= limit) return;
        out.push(v, i, i + 1);
      } else if (v === SURROGATE) {
        if (out.length >= limit) return;
        const c = text.charCodeAt(i);
        const d = i + 1 < to ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          const id = this.lookupAstral(text.slice(i, i + 2));
          if (id !== SKIP) out.push(id, i, i + 2);
          i++;
        } else out.push(this.unkId, i, i + 1); // a lone surrogate
      }
    }
  }

  private lookupAstral(ch: string): number {
    const cp = ch.codePointAt(0) as number;
    if (((bertUnicode().flags[cp] as number) & (F_SPLIT_WS | F_CONTROL)) !== 0) return SKIP;
    return this.vocab.tokenToId(this.lowercase ? lowercaseKey(ch) : ch) ?? this.unkId;
  }

  toSpec(): TokenizerSpec {
    return { kind: 'char', vocab: this.vocab.tokens, options: this.commonSpecOptions() };
  }
}
