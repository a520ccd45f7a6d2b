import { TokenizerOptionError, TruncationError } from './errors';
import type { TokenSeq } from './token-sink';

/** How to shorten inputs longer than `maxLength` (as `tokenizers`' TruncationStrategy). */
export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';
/** Which side to cut or pad. */
export type Side = 'right' | 'left';

/**
 * One encoded input: everything a BERT-family model needs, in typed arrays. The arrays are views on one
 * shared `ArrayBuffer` (copy one with `slice()` before transferring it on its own).
 */
export interface Encoding {
  /** Token ids. */
  readonly ids: Int32Array;
  /** Segment ids (0 for the first text and its special tokens, 1 for the second). */
  readonly typeIds: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  readonly attentionMask: Int32Array;
  /** 1 for special tokens and padding, 0 for tokens of the text. */
  readonly specialTokensMask: Int32Array;
  /** `[start, end)` pairs, flattened, in UTF-16 code units of the text the token came from; `[0, 0]` for special tokens. */
  readonly offsets: Int32Array;
  /** Which text each token came from: 0, 1, or -1 for special tokens and padding. */
  readonly sequenceIds: Int8Array;
  /** Number of tokens (including special tokens and padding). */
  readonly length: number;
  /** The windows cut off by truncation (with `stride` overlap), when `returnOverflowing` is set. */
  readonly overflowing: readonly Encoding[];
}

/** One piece of a post-processing template: a sequence or a special token, with its type id. */
export type TemplatePiece =
  | { readonly kind: 'sequence'; readonly sequence: 0 | 1; readonly typeId: number }
  | { readonly kind: 'special'; readonly ids: readonly number[]; readonly typeId: number };

/** The post-processor: where special tokens go for one text and for a pair (BERT: `[CLS] A [SEP] B [SEP]`). */
export interface PostTemplate {
  readonly single: readonly TemplatePiece[];
  readonly pair: readonly TemplatePiece[];
}

/** BERT's template from the ids of `[CLS]` and `[SEP]`. */
export function bertTemplate(clsId: number, sepId: number): PostTemplate {
  const cls: TemplatePiece = { kind: 'special', ids: [clsId], typeId: 0 };
  const sep0: TemplatePiece = { kind: 'special', ids: [sepId], typeId: 0 };
  const sep1: TemplatePiece = { kind: 'special', ids: [sepId], typeId: 1 };
  return {
    single: [cls, { kind: 'sequence', sequence: 0, typeId: 0 }, sep0],
    pair: [
      cls,
      { kind: 'sequence', sequence: 0, typeId: 0 },
      sep0,
      { kind: 'sequence', sequence: 1, typeId: 1 },
      sep1,
    ],
  };
}

/** Options of post-processing: special tokens, truncation, overflow and padding of one encoding. */
export interface PostProcessOptions {
  /** Add the template's special tokens (default true). */
  readonly addSpecialTokens?: boolean;
  /** Truncate to this many tokens, special tokens included (default: no truncation). */
  readonly maxLength?: number;
  /** Truncation strategy (default `longest_first`). */
  readonly truncation?: TruncationStrategy;
  /** Side to truncate (default `right`). */
  readonly truncationSide?: Side;
  /** Overlap, in tokens, between consecutive overflowing windows (default 0). */
  readonly stride?: number;
  /** Keep the windows that truncation cut off in `overflowing` (default false). */
  readonly returnOverflowing?: boolean;
  /** Pad to at least this many tokens (default: no padding). */
  readonly padToLength?: number;
  /** Round the padded length up to a multiple of this (default 1). */
  readonly padToMultipleOf?: number;
  /** Side to pad (default `right`). */
  readonly paddingSide?: Side;
  /** Id of the padding token. */
  readonly padId?: number;
  /** Type id of padding (default 0). */
  readonly padTypeId?: number;
}

const STRATEGIES: readonly string[] = ['longest_first', 'only_first', 'only_second'];
const SIDES: readonly string[] = ['right', 'left'];

function checkInt(name: string, v: unknown, min: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new TokenizerOptionError(name, `expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
}

/** Validates post-processing options; throws `TokenizerOptionError` naming the bad one. */
export function validatePostOptions(o: PostProcessOptions): void {
  if (typeof o !== 'object' || o === null) throw new TokenizerOptionError('options', 'expected an object');
  checkInt('maxLength', o.maxLength, 0);
  checkInt('stride', o.stride, 0);
  checkInt('padToLength', o.padToLength, 0);
  checkInt('padToMultipleOf', o.padToMultipleOf, 0);
  checkInt('padId', o.padId, 0);
  checkInt('padTypeId', o.padTypeId, 0);
  if (o.truncation !== undefined && !STRATEGIES.includes(o.truncation)) {
    throw new TokenizerOptionError(
      'truncation',
      `expected one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(o.truncation)}`,
    );
  }
  if (o.truncationSide !== undefined && !SIDES.includes(o.truncationSide)) {
    throw new TokenizerOptionError(
      'truncationSide',
      `expected right or left, got ${JSON.stringify(o.truncationSide)}`,
    );
  }
  if (o.paddingSide !== undefined && !SIDES.includes(o.paddingSide)) {
    throw new TokenizerOptionError(
      'paddingSide',
      `expected right or left, got ${JSON.stringify(o.paddingSide)}`,
    );
  }
  if (o.addSpecialTokens !== undefined && typeof o.addSpecialTokens !== 'boolean') {
    throw new TokenizerOptionError('addSpecialTokens', 'expected a boolean');
  }
  if (o.returnOverflowing !== undefined && typeof o.returnOverflowing !== 'boolean') {
    throw new TokenizerOptionError('returnOverflowing', 'expected a boolean');
  }
}

/** A contiguous run of a sequence's tokens, or special tokens. */
interface Part {
  readonly seq: 0 | 1 | -1;
  readonly start: number;
  readonly stop: number;
  readonly ids: readonly number[] | undefined;
  typeId: number;
}

interface Merged {
  parts: Part[];
  ovf: Part[][];
}

/** `Encoding::truncate` windows: [start, stop) ranges, the first being the kept one. */
function windows(len: number, maxLen: number, stride: number, side: Side): Array<[number, number]> {
  if (maxLen >= len) return [[0, len]];
  if (maxLen === 0)
    return [
      [0, 0],
      [0, len],
    ];
  if (stride >= maxLen) {
    throw new TruncationError(
      `stride (${stride}) must be smaller than the tokens left for the text after special tokens (${maxLen})`,
    );
  }
  const step = maxLen - stride;
  const out: Array<[number, number]> = [];
  if (side === 'right') {
    for (let start = 0; start < len; start += step) {
      const stop = Math.min(start + maxLen, len);
      out.push([start, stop]);
      if (stop === len) break;
    }
  } else {
    for (let s = len - 1; s >= 0; s -= step) {
      const stop = s + 1;
      const start = Math.max(0, stop - maxLen);
      out.push([start, stop]);
      if (start === 0) break;
    }
  }
  return out;
}

/** Cut lengths for a pair or a single sequence, as `truncate_encodings`. */
function targetLengths(
  n1: number,
  n2: number | undefined,
  max: number,
  strategy: TruncationStrategy,
): [number, number | undefined] {
  const total = n1 + (n2 ?? 0);
  if (max === 0) return [0, n2 === undefined ? undefined : 0];
  if (total <= max) return [n1, n2];
  const toRemove = total - max;
  if (strategy === 'longest_first') {
    if (n2 === undefined) return [total - toRemove, undefined];
    let a = n1;
    let b = n2;
    const swap = a > b;
    if (swap) [a, b] = [b, a];
    b = a > max ? a : Math.max(a, max - a);
    if (a + b > max) {
      a = Math.floor(max / 2);
      b = a + (max % 2);
    }
    return swap ? [b, a] : [a, b];
  }
  if (strategy === 'only_second' && n2 === undefined) {
    throw new TruncationError('truncation "only_second" needs a second text');
  }
  const targetLen = strategy === 'only_first' ? n1 : (n2 as number);
  if (targetLen <= toRemove) {
    throw new TruncationError(
      `cannot truncate the ${strategy === 'only_first' ? 'first' : 'second'} text enough to fit ${max} tokens`,
    );
  }
  return strategy === 'only_first' ? [n1 - toRemove, n2] : [n1, (n2 as number) - toRemove];
}

function mergeWith(self: Merged, pair: Merged): void {
  const ovf: Part[][] = [];
  for (const so of self.ovf) {
    ovf.push([...so, ...pair.parts]);
    for (const po of pair.ovf) ovf.push([...so, ...po]);
  }
  for (const po of pair.ovf) ovf.push([...self.parts, ...po]);
  self.parts.push(...pair.parts);
  self.ovf = ovf;
}

/**
 * Post-processing as `tokenizers` does it: truncate (keeping room for special tokens), apply the
 * template, combine overflowing windows, then pad.
 */
export function postProcess(
  a: TokenSeq,
  b: TokenSeq | undefined,
  template: PostTemplate,
  o: PostProcessOptions,
): Encoding {
  const addSpecial = o.addSpecialTokens ?? true;
  const pieces = b === undefined ? template.single : template.pair;
  let nAdded = 0;
  if (addSpecial) for (const p of pieces) if (p.kind === 'special') nAdded += p.ids.length;
  const fits = o.maxLength === undefined || a.ids.length + (b?.ids.length ?? 0) + nAdded <= o.maxLength;
  if (fits && o.padToLength === undefined && o.padToMultipleOf === undefined) {
    // Fast path (no truncation possible, no padding): no window bookkeeping.
    const parts: Part[] = [];
    for (const p of pieces) {
      if (p.kind === 'sequence') {
        const src = p.sequence === 0 ? a : (b as TokenSeq);
        parts.push({ seq: p.sequence, start: 0, stop: src.ids.length, ids: undefined, typeId: p.typeId });
      } else if (addSpecial)
        parts.push({ seq: -1, start: 0, stop: p.ids.length, ids: p.ids, typeId: p.typeId });
    }
    return materialize(parts, a, b, 0, o);
  }
  const side = o.truncationSide ?? 'right';
  const stride = o.stride ?? 0;
  let winA: Array<[number, number]> = [[0, a.ids.length]];
  let winB: Array<[number, number]> | undefined = b === undefined ? undefined : [[0, b.ids.length]];
  if (o.maxLength !== undefined) {
    if (o.maxLength < nAdded) {
      throw new TokenizerOptionError(
        'maxLength',
        `${o.maxLength} leaves no room for the ${nAdded} special tokens`,
      );
    }
    const [ta, tb] = targetLengths(
      a.ids.length,
      b?.ids.length,
      o.maxLength - nAdded,
      o.truncation ?? 'longest_first',
    );
    winA = windows(a.ids.length, ta, stride, side);
    if (b !== undefined) winB = windows(b.ids.length, tb as number, stride, side);
  }
  const seqMerged = (seq: 0 | 1, w: Array<[number, number]>, typeId: number): Merged => {
    const parts = w.map(([start, stop]) => ({ seq, start, stop, ids: undefined, typeId }));
    return { parts: [parts[0] as Part], ovf: parts.slice(1).map((p) => [p]) };
  };
  const merged: Merged = { parts: [], ovf: [] };
  for (const p of pieces) {
    if (p.kind === 'sequence') {
      const w = p.sequence === 0 ? winA : (winB as Array<[number, number]>);
      mergeWith(merged, seqMerged(p.sequence, w, p.typeId));
    } else if (addSpecial) {
      mergeWith(merged, {
        parts: [{ seq: -1, start: 0, stop: p.ids.length, ids: p.ids, typeId: p.typeId }],
        ovf: [],
      });
    }
  }
  const all = [merged.parts, ...(o.returnOverflowing ? merged.ovf : [])];
  let target = 0;
  for (const parts of all) target = Math.max(target, partsLength(parts));
  let padTo = o.padToLength ?? 0;
  const mult = o.padToMultipleOf ?? 0;
  if (mult > 0 && padTo % mult > 0) padTo += mult - (padTo % mult);
  const encs = all.map((parts) => materialize(parts, a, b, padTo, o));
  const main = encs[0] as Encoding;
  return encs.length === 1 ? main : { ...main, overflowing: encs.slice(1) };
}

function partsLength(parts: readonly Part[]): number {
  let n = 0;
  for (const p of parts) n += p.stop - p.start;
  return n;
}

function materialize(
  parts: readonly Part[],
  a: TokenSeq,
  b: TokenSeq | undefined,
  padTo: number,
  o: PostProcessOptions,
): Encoding {
  const len = partsLength(parts);
  const total = Math.max(len, padTo);
  const pad = total - len;
  const left = (o.paddingSide ?? 'right') === 'left';
  // One allocation for the six arrays (views on one buffer): allocating each separately dominated the
  // cost of encoding short texts.
  const buffer = new ArrayBuffer(total * 25);
  const ids = new Int32Array(buffer, 0, total);
  const typeIds = new Int32Array(buffer, total * 4, total);
  const attentionMask = new Int32Array(buffer, total * 8, total);
  const specialTokensMask = new Int32Array(buffer, total * 12, total);
  const offsets = new Int32Array(buffer, total * 16, total * 2);
  const sequenceIds = new Int8Array(buffer, total * 24, total).fill(-1);
  let k = left ? pad : 0;
  for (const p of parts) {
    if (p.seq === -1) {
      for (const id of p.ids as readonly number[]) {
        ids[k] = id;
        typeIds[k] = p.typeId;
        attentionMask[k] = 1;
        specialTokensMask[k] = 1;
        k++;
      }
      continue;
    }
    const src = p.seq === 0 ? a : (b as TokenSeq);
    for (let i = p.start; i < p.stop; i++) {
      ids[k] = src.ids[i] as number;
      typeIds[k] = p.typeId;
      attentionMask[k] = 1;
      offsets[2 * k] = src.starts[i] as number;
      offsets[2 * k + 1] = src.ends[i] as number;
      sequenceIds[k] = p.seq;
      k++;
    }
  }
  if (pad > 0) {
    const padId = o.padId ?? 0;
    const padType = o.padTypeId ?? 0;
    const from = left ? 0 : len;
    for (let i = from; i < from + pad; i++) {
      ids[i] = padId;
      typeIds[i] = padType;
      specialTokensMask[i] = 1;
    }
  }
  return {
    ids,
    typeIds,
    attentionMask,
    specialTokensMask,
    offsets,
    sequenceIds,
    length: total,
    overflowing: [],
  };
}
