import type { TokenSink } from '../token-sink';
import type { Vocabulary } from '../vocabulary';
import { CodeUnitTrie } from './code-unit-trie';

/**
 * Greedy longest-match-first WordPiece, as `tokenizers`' WordPiece model: the first piece is looked up
 * as is, the following ones with the continuation prefix; a word with a piece that matches nothing, or
 * longer than `maxInputCharsPerWord` code points, becomes one unknown token spanning the word.
 */
export class WordPieceModel {
  private readonly first: CodeUnitTrie;
  private readonly cont: CodeUnitTrie;
  private readonly hit = new Int32Array(1);
  /** Id of each one-code-unit token (-1 if none): a word of one unit (every CJK ideograph) skips the trie. */
  private readonly single = new Int32Array(65536).fill(-1);

  constructor(
    vocab: Vocabulary,
    readonly unkId: number,
    readonly prefix: string,
    readonly maxInputCharsPerWord: number,
  ) {
    const entries = [...vocab.entries()];
    for (const [t, id] of entries) if (t.length === 1) this.single[t.charCodeAt(0)] = id;
    this.first = new CodeUnitTrie(entries);
    this.cont = new CodeUnitTrie(
      prefix.length === 0 ? entries : entries.filter(([t]) => t.startsWith(prefix)),
      prefix.length,
    );
  }

  /** Bytes held by the lookup structures. */
  get byteLength(): number {
    return this.first.byteLength + this.cont.byteLength + this.single.byteLength;
  }

  /** Tokenizes the word `buf[from, to)`; offsets come from the per-unit alignments. */
  tokenizeWord(
    buf: Uint16Array,
    alS: Int32Array,
    alE: Int32Array,
    from: number,
    to: number,
    out: TokenSink,
  ): void {
    const max = this.maxInputCharsPerWord;
    if (to - from === 1 && max >= 1) {
      const id = this.single[buf[from] as number] as number;
      out.push(id < 0 ? this.unkId : id, alS[from] as number, alE[from] as number);
      return;
    }
    if (to - from > max) {
      let chars = 0;
      for (let i = from; i < to; i++) if (((buf[i] as number) & 0xfc00) !== 0xdc00) chars++;
      if (chars > max) {
        out.push(this.unkId, alS[from] as number, alE[to - 1] as number);
        return;
      }
    }
    const mark = out.length;
    const hit = this.hit;
    let start = from;
    let trie = this.first;
    while (start < to) {
      const end = trie.longestPrefix(buf, start, to, hit);
      if (end < 0) {
        out.length = mark;
        out.push(this.unkId, alS[from] as number, alE[to - 1] as number);
        return;
      }
      out.push(hit[0] as number, alS[start] as number, alE[end - 1] as number);
      start = end;
      trie = this.cont;
    }
  }
}
