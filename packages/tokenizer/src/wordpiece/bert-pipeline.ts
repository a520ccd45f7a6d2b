import type { AddedTokenMatcher, Split } from '../added-tokens';
import type { TokenSink } from '../token-sink';
import {
  type BertUnicode,
  bertUnicode,
  decompose,
  F_CJK,
  F_CLEAN_WS,
  F_CONTROL,
  F_LOWER,
  F_MN,
  F_NFD,
  F_PUNCT,
  F_SPLIT_WS,
} from '../unicode/tables';
import type { WordPieceModel } from './wordpiece-model';

/** BertNormalizer's switches, as in `tokenizers`. */
export interface BertNormalizerOptions {
  /** Drop control characters, map whitespace to ' ' (default true). */
  readonly cleanText: boolean;
  /** Surround CJK ideographs with spaces (default true). */
  readonly handleChineseChars: boolean;
  /** NFD then drop non-spacing marks (default: follows `lowercase`). */
  readonly stripAccents: boolean;
  /** Rust `char::to_lowercase`, one code point at a time (no final-sigma rule). */
  readonly lowercase: boolean;
}

const ASCII_DROP = -1;
const CLS_WORD = 0;
const CLS_SPLIT = 1;
const CLS_PUNCT = 2;
/** Original-text units normalized at a time (longer texts go in chunks; see `segment`). */
const CHUNK = 1 << 16;

/**
 * The BERT text pipeline of `tokenizers` — BertNormalizer, BertPreTokenizer and WordPiece — fused into
 * one pass over UTF-16 code units. The normalized text lives in a reused Uint16Array with, for each
 * unit, the `[start, end)` of the original code point it came from (the crate's alignments), so
 * offsets come out in UTF-16 units of the input without building any intermediate string.
 */
export class BertPipeline {
  private readonly u: BertUnicode;
  private readonly asciiOut: Int32Array;
  private readonly asciiClass: Uint8Array;
  // Normalized text and its alignments.
  private buf = new Uint16Array(1024);
  private alS = new Int32Array(1024);
  private alE = new Int32Array(1024);
  private n = 0;
  // Canonical-reordering buffer (marks waiting for the next starter).
  private pCp: number[] = [];
  private pRank: number[] = [];
  private pChange: number[] = [];
  private pS: number[] = [];
  private pE: number[] = [];
  private lastS = 0;
  private lastE = 0;
  private readonly splits: Split[] = [];
  private readonly normSplits: Split[] = [];
  private readonly readBuf = (i: number): number => this.buf[i] as number;

  constructor(
    private readonly opts: BertNormalizerOptions,
    private readonly model: WordPieceModel,
    private readonly originalMatcher: AddedTokenMatcher | undefined,
    private readonly normalizedMatcher: AddedTokenMatcher | undefined,
  ) {
    this.u = bertUnicode();
    const flags = this.u.flags;
    this.asciiOut = new Int32Array(128);
    this.asciiClass = new Uint8Array(128);
    for (let c = 0; c < 128; c++) {
      let out = c;
      const f = flags[c] as number;
      if (opts.cleanText && (f & F_CONTROL) !== 0) out = ASCII_DROP;
      else if (opts.cleanText && (f & F_CLEAN_WS) !== 0) out = 0x20;
      else if (opts.lowercase && c >= 0x41 && c <= 0x5a) out = c + 32;
      this.asciiOut[c] = out;
      this.asciiClass[c] = (f & F_SPLIT_WS) !== 0 ? CLS_SPLIT : (f & F_PUNCT) !== 0 ? CLS_PUNCT : CLS_WORD;
    }
  }

  /** Tokenizes `text[from, to)` and appends ids and offsets to `out`. */
  run(text: string, from: number, to: number, out: TokenSink): void {
    const matcher = this.originalMatcher;
    if (matcher === undefined || !matcher.mayMatch(text, from, to)) {
      this.segment(text, from, to, out);
      return;
    }
    const splits = this.splits;
    matcher.split((i) => text.charCodeAt(i), from, to, splits);
    // Copy: `segment` may not reuse `splits`, but be safe against re-entrancy.
    const parts = splits.slice();
    for (const s of parts) {
      if (out.length >= out.limit) return;
      if (s.id >= 0) {
        out.beginSplit();
        out.push(s.id, s.start, s.end);
      } else this.segment(text, s.start, s.end, out);
    }
  }

  /**
   * Normalizes one stretch of original text, then pre-tokenizes and runs WordPiece on it. Long stretches go
   * in chunks cut before an ASCII space or a CJK ideograph — both always pre-token boundaries and starters
   * for canonical reordering, so the result is the same — which keeps the normalization buffers small.
   */
  private segment(text: string, from: number, to: number, out: TokenSink): void {
    if (this.normalizedMatcher === undefined && to - from > CHUNK) {
      let start = from;
      while (start < to) {
        if (out.length >= out.limit) return;
        const end = this.cut(text, start, to);
        this.segmentChunk(text, start, end, out);
        start = end;
      }
      if (this.buf.length > 4 * CHUNK) this.shrink();
      return;
    }
    this.segmentChunk(text, from, to, out);
  }

  /** End of the chunk that starts at `from`: a safe cut near `from + CHUNK`, else the next one, else `to`. */
  private cut(text: string, from: number, to: number): number {
    if (to - from <= CHUNK) return to;
    const flags = this.u.flags;
    const cjk = this.opts.handleChineseChars;
    const safe = (i: number): boolean => {
      const c = text.charCodeAt(i);
      return c === 0x20 || (cjk && c >= 0x2e80 && ((flags[c] as number) & F_CJK) !== 0);
    };
    const target = from + CHUNK;
    for (let i = target; i > target - (CHUNK >> 2); i--) if (safe(i)) return i;
    for (let i = target + 1; i < to; i++) if (safe(i)) return i;
    return to;
  }

  /** Drops the normalization buffers after a long text, so one big input does not pin its memory. */
  private shrink(): void {
    this.buf = new Uint16Array(1024);
    this.alS = new Int32Array(1024);
    this.alE = new Int32Array(1024);
    this.n = 0;
  }

  private segmentChunk(text: string, from: number, to: number, out: TokenSink): void {
    if (from >= to) return;
    this.normalize(text, from, to);
    const nm = this.normalizedMatcher;
    if (nm === undefined || this.n === 0) {
      this.pretokenize(0, this.n, out);
      return;
    }
    nm.split(this.readBuf, 0, this.n, this.normSplits);
    for (const s of this.normSplits) {
      if (s.id >= 0) {
        out.beginSplit();
        out.push(s.id, this.alS[s.start] as number, this.alE[s.end - 1] as number);
      } else this.pretokenize(s.start, s.end, out);
    }
  }

  private ensure(extra: number): void {
    const need = this.n + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const b = new Uint16Array(cap);
    b.set(this.buf.subarray(0, this.n));
    const s = new Int32Array(cap);
    s.set(this.alS.subarray(0, this.n));
    const e = new Int32Array(cap);
    e.set(this.alE.subarray(0, this.n));
    this.buf = b;
    this.alS = s;
    this.alE = e;
  }

  /** BertNormalizer over `text[from, to)` into `buf`/`alS`/`alE`. */
  private normalize(text: string, from: number, to: number): void {
    this.n = 0;
    this.lastS = from;
    this.lastE = from;
    this.ensure((to - from) * 3 + 8);
    const asciiOut = this.asciiOut;
    const flags = this.u.flags;
    const { cleanText, handleChineseChars } = this.opts;
    let i = from;
    while (i < to) {
      let c = text.charCodeAt(i);
      if (c < 0x80 && this.pCp.length === 0) {
        const o = asciiOut[c] as number;
        if (o !== ASCII_DROP) {
          const n = this.n;
          this.buf[n] = o;
          this.alS[n] = i;
          this.alE[n] = i + 1;
          this.n = n + 1;
          this.lastS = i;
          this.lastE = i + 1;
        }
        i++;
        continue;
      }
      let len = 1;
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < to ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          len = 2;
        } else {
          // A lone surrogate cannot be in a Rust string; the Node binding turns it into U+FFFD.
          c = 0xfffd;
        }
      }
      const s = i;
      const e = i + len;
      i = e;
      let f = flags[c] as number;
      if (cleanText) {
        if ((f & F_CONTROL) !== 0) continue;
        if ((f & F_CLEAN_WS) !== 0) {
          c = 0x20;
          f = flags[0x20] as number;
        }
      }
      if (handleChineseChars && (f & F_CJK) !== 0) {
        this.ensure(16);
        if ((f & (F_NFD | F_MN | F_LOWER)) === 0) {
          // Fast path for the common ideograph (no decomposition, no case, a starter): ' ', c, ' ' with
          // the char's alignment, exactly what the staged path below produces for it.
          if (this.pCp.length > 0) this.flushMarks();
          this.emit(0x20, s, e);
          this.emit(c, s, e);
          this.emit(0x20, s, e);
          this.lastS = s;
          this.lastE = e;
          continue;
        }
        this.nfdStage(0x20, s, e);
        this.nfdStage(c, s, e);
        this.nfdStage(0x20, s, e);
      } else {
        this.ensure(16);
        this.nfdStage(c, s, e);
      }
    }
    this.flushMarks();
  }

  /** NFD with the crate's canonical reordering and positional alignment (when accents are stripped). */
  private nfdStage(c: number, s: number, e: number): void {
    if (!this.opts.stripAccents) {
      this.lowerStage(c, s, e);
      return;
    }
    if (((this.u.flags[c] as number) & F_NFD) === 0) {
      this.pushDecomposed(c, 0, s, e);
      return;
    }
    const d = decompose(this.u, c);
    for (let k = 0; k < d.length; k++) this.pushDecomposed(d[k] as number, k === 0 ? 0 : 1, s, e);
  }

  private pushDecomposed(c: number, change: number, s: number, e: number): void {
    const ccc = this.u.ccc;
    const rank = c < ccc.length ? (ccc[c] as number) : 0;
    if (rank === 0) {
      if (this.pCp.length > 0) this.flushMarks();
      if (change === 0) {
        this.lastS = s;
        this.lastE = e;
        this.markStage(c, s, e);
      } else {
        this.markStage(c, this.lastS, this.lastE);
      }
      return;
    }
    this.pCp.push(c);
    this.pRank.push(rank);
    this.pChange.push(change);
    this.pS.push(s);
    this.pE.push(e);
  }

  /**
   * Emits waiting marks in canonical order. Alignments stay positional, as in the crate's `transform`:
   * a char that replaced one takes the next original alignment in text order, an added one takes the
   * last alignment used.
   */
  private flushMarks(): void {
    const n = this.pCp.length;
    if (n === 0) return;
    const order: number[] = [];
    for (let k = 0; k < n; k++) order.push(k);
    const rank = this.pRank;
    // Stable insertion sort by rank (runs are short).
    for (let a = 1; a < n; a++) {
      const v = order[a] as number;
      let b = a - 1;
      while (b >= 0 && (rank[order[b] as number] as number) > (rank[v] as number)) {
        order[b + 1] = order[b] as number;
        b--;
      }
      order[b + 1] = v;
    }
    const replaced: number[] = [];
    for (let k = 0; k < n; k++) if (this.pChange[k] === 0) replaced.push(k);
    let q = 0;
    for (let k = 0; k < n; k++) {
      const idx = order[k] as number;
      const c = this.pCp[idx] as number;
      if (this.pChange[idx] === 0) {
        const src = replaced[q++] as number;
        this.lastS = this.pS[src] as number;
        this.lastE = this.pE[src] as number;
      }
      this.ensure(8);
      this.markStage(c, this.lastS, this.lastE);
    }
    this.pCp.length = 0;
    this.pRank.length = 0;
    this.pChange.length = 0;
    this.pS.length = 0;
    this.pE.length = 0;
  }

  private markStage(c: number, s: number, e: number): void {
    if (((this.u.flags[c] as number) & F_MN) !== 0) return;
    this.lowerStage(c, s, e);
  }

  private lowerStage(c: number, s: number, e: number): void {
    if (this.opts.lowercase && ((this.u.flags[c] as number) & F_LOWER) !== 0) {
      const l = this.u.lower.get(c) as readonly number[];
      this.ensure(l.length * 2);
      for (const x of l) this.emit(x, s, e);
      return;
    }
    this.emit(c, s, e);
  }

  private emit(c: number, s: number, e: number): void {
    let n = this.n;
    if (c < 0x10000) {
      this.buf[n] = c;
      this.alS[n] = s;
      this.alE[n] = e;
      this.n = n + 1;
      return;
    }
    const v = c - 0x10000;
    this.buf[n] = 0xd800 + (v >> 10);
    this.alS[n] = s;
    this.alE[n] = e;
    n++;
    this.buf[n] = 0xdc00 + (v & 0x3ff);
    this.alS[n] = s;
    this.alE[n] = e;
    this.n = n + 1;
  }

  /** BertPreTokenizer (split on whitespace, isolate punctuation) over `buf[from, to)`, then WordPiece. */
  private pretokenize(from: number, to: number, out: TokenSink): void {
    const buf = this.buf;
    const asciiClass = this.asciiClass;
    const flags = this.u.flags;
    const model = this.model;
    const alS = this.alS;
    const alE = this.alE;
    let ws = -1;
    let i = from;
    while (i < to) {
      const u = buf[i] as number;
      let cls: number;
      let len = 1;
      if (u < 0x80) cls = asciiClass[u] as number;
      else {
        let c = u;
        if (u >= 0xd800 && u <= 0xdbff && i + 1 < to) {
          c = ((u - 0xd800) << 10) + ((buf[i + 1] as number) - 0xdc00) + 0x10000;
          len = 2;
        }
        const f = flags[c] as number;
        cls = (f & F_SPLIT_WS) !== 0 ? CLS_SPLIT : (f & F_PUNCT) !== 0 ? CLS_PUNCT : CLS_WORD;
      }
      if (cls === CLS_WORD) {
        if (ws < 0) {
          if (out.length >= out.limit) return;
          ws = i;
        }
      } else {
        if (ws >= 0) {
          out.beginSplit();
          model.tokenizeWord(buf, alS, alE, ws, i, out);
          ws = -1;
        }
        if (cls === CLS_PUNCT) {
          if (out.length >= out.limit) return;
          out.beginSplit();
          model.tokenizeWord(buf, alS, alE, i, i + len, out);
        }
      }
      i += len;
    }
    if (ws >= 0) {
      out.beginSplit();
      model.tokenizeWord(buf, alS, alE, ws, to, out);
    }
  }

  /** The normalized text of `text` (for tests and debugging). */
  normalizeToString(text: string): string {
    this.normalize(text, 0, text.length);
    let s = '';
    for (let k = 0; k < this.n; k++) s += String.fromCharCode(this.buf[k] as number);
    return s;
  }
}
