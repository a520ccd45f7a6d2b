/** A growable list of tokens (id, start, end) in typed arrays; reused between calls to avoid allocation. */
export class TokenSink {
  ids: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  length = 0;
  /** Index of the first token of each pre-token split (word, punctuation, added token). */
  splitStarts: Int32Array;
  splitCount = 0;
  /**
   * Tokenizers may stop at the next word boundary once this many tokens exist (set by `encode` when the
   * tokens past it would be truncated anyway); `Infinity` (the default) means tokenize everything.
   */
  limit = Number.POSITIVE_INFINITY;

  constructor(capacity = 256) {
    this.splitStarts = new Int32Array(capacity);
    this.ids = new Int32Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }

  /** Marks that the next token starts a new pre-token split. */
  beginSplit(): void {
    const k = this.splitCount;
    if (k === this.splitStarts.length) {
      const a = new Int32Array(k * 2);
      a.set(this.splitStarts);
      this.splitStarts = a;
    }
    this.splitStarts[k] = this.length;
    this.splitCount = k + 1;
  }

  /** Empties the sink. */
  reset(): void {
    this.length = 0;
    this.splitCount = 0;
  }

  push(id: number, start: number, end: number): void {
    const n = this.length;
    if (n === this.ids.length) this.grow(n * 2);
    this.ids[n] = id;
    this.starts[n] = start;
    this.ends[n] = end;
    this.length = n + 1;
  }

  grow(capacity: number): void {
    const ids = new Int32Array(capacity);
    const starts = new Int32Array(capacity);
    const ends = new Int32Array(capacity);
    ids.set(this.ids.subarray(0, this.length));
    starts.set(this.starts.subarray(0, this.length));
    ends.set(this.ends.subarray(0, this.length));
    this.ids = ids;
    this.starts = starts;
    this.ends = ends;
  }

  /** The tokens as views on this sink's buffers (valid until the sink is written again). */
  view(): TokenSeq {
    const n = this.length;
    return {
      ids: this.ids.subarray(0, n),
      starts: this.starts.subarray(0, n),
      ends: this.ends.subarray(0, n),
      splitStarts: this.splitStarts.subarray(0, this.splitCount),
    };
  }

  /** Copies the tokens into a new compact sequence. */
  take(): TokenSeq {
    const n = this.length;
    return {
      ids: this.ids.slice(0, n),
      starts: this.starts.slice(0, n),
      ends: this.ends.slice(0, n),
      splitStarts: this.splitStarts.slice(0, this.splitCount),
    };
  }
}

/** One sequence's tokens before special tokens are added: ids and offsets in UTF-16 code units. */
export interface TokenSeq {
  readonly ids: Int32Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Index of the first token of each pre-token split, when the tokenizer records them. */
  readonly splitStarts?: Int32Array;
}
