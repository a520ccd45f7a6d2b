import { bertUnicode, F_SPLIT_WS } from './unicode/tables';

/** A token matched in the text before the model runs (special tokens such as `[MASK]`), as in `tokenizers`. */
export interface AddedToken {
  readonly content: string;
  readonly id: number;
  /** Special tokens are skipped by `decode(…, skipSpecialTokens)`. */
  readonly special: boolean;
  /** Matched against the normalized text (`true`) or the original text (`false`, the default for special tokens). */
  readonly normalized: boolean;
  /** Absorb whitespace on the left / right of the match. */
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  /** Only match when not inside a word. */
  readonly singleWord: boolean;
}

/** A match: `[start, end)` in the searched units and the token id, or id -1 for the text between matches. */
export interface Split {
  start: number;
  end: number;
  id: number;
}

const WORD_CHAR = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;

function isSpaceAt(read: (i: number) => number, i: number): boolean {
  const u = read(i);
  return ((bertUnicode().flags[u] as number) & F_SPLIT_WS) !== 0;
}

/**
 * Leftmost-longest matcher over a set of strings (the `daachorse` LeftmostLongest semantics that
 * `tokenizers` uses), working on any UTF-16 unit source so it serves both the original text and the
 * normalized buffer.
 */
export class AddedTokenMatcher {
  private readonly byFirstUnit = new Map<number, AddedToken[]>();
  private readonly firstUnits: Uint8Array = new Uint8Array(65536);
  private readonly firstChars: string[];
  readonly size: number;

  constructor(
    tokens: readonly AddedToken[],
    private readonly patternOf: (t: AddedToken) => string = (t) => t.content,
  ) {
    let size = 0;
    for (const t of tokens) {
      const p = patternOf(t);
      if (p.length === 0) continue;
      const u = p.charCodeAt(0);
      let list = this.byFirstUnit.get(u);
      if (list === undefined) {
        list = [];
        this.byFirstUnit.set(u, list);
      }
      list.push(t);
      this.firstUnits[u] = 1;
      size++;
    }
    this.firstChars = [...this.byFirstUnit.keys()].map((u) => String.fromCharCode(u));
    // Longest first, so the first hit at a position is the longest one.
    for (const list of this.byFirstUnit.values())
      list.sort((a, b) => patternOf(b).length - patternOf(a).length);
    this.size = size;
  }

  /** Whether any pattern could start in `text[from, to)` (a quick pre-check). */
  mayMatch(text: string, from: number, to: number): boolean {
    if (this.firstChars.length <= 4) {
      // `indexOf` scans at memchr speed: this pre-check stays cheap on huge texts.
      for (const ch of this.firstChars) {
        const at = text.indexOf(ch, from);
        if (at >= 0 && at < to) return true;
      }
      return false;
    }
    const first = this.firstUnits;
    for (let i = from; i < to; i++) if (first[text.charCodeAt(i)] === 1) return true;
    return false;
  }

  /**
   * Splits `[from, to)` of a unit source into added-token matches and the text between them. `read(i)`
   * returns the unit at i; `cpAt(i)` the code point (for whitespace/word checks).
   * @internal The tokenizers' own pre-tokenization step; not part of the public API.
   */
  split(read: (i: number) => number, from: number, to: number, out: Split[]): void {
    out.length = 0;
    let startOffset = from;
    let i = from;
    const first = this.firstUnits;
    while (i < to) {
      const u = read(i);
      if (first[u] !== 1) {
        i++;
        continue;
      }
      const candidates = this.byFirstUnit.get(u) as AddedToken[];
      let hit: AddedToken | undefined;
      for (const t of candidates) {
        const p = this.patternOf(t);
        if (i + p.length > to) continue;
        let k = 1;
        while (k < p.length && read(i + k) === p.charCodeAt(k)) k++;
        if (k === p.length) {
          hit = t;
          break;
        }
      }
      if (hit === undefined) {
        i++;
        continue;
      }
      let start = i;
      let stop = i + this.patternOf(hit).length;
      if (hit.singleWord) {
        const before = start > from && WORD_CHAR.test(String.fromCharCode(read(start - 1)));
        const after = stop < to && WORD_CHAR.test(String.fromCharCode(read(stop)));
        if (before || after) {
          i++;
          continue;
        }
      }
      if (hit.lstrip) {
        let s = start;
        while (s > startOffset && isSpaceAt(read, s - 1)) s--;
        start = s;
      }
      if (hit.rstrip) {
        while (stop < to && isSpaceAt(read, stop)) stop++;
      }
      if (startOffset < start) out.push({ start: startOffset, end: start, id: -1 });
      out.push({ start, end: stop, id: hit.id });
      startOffset = stop;
      i = stop;
    }
    if (startOffset < to || out.length === 0) out.push({ start: startOffset, end: to, id: -1 });
  }
}
