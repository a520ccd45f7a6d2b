import {
  CCC_RANK_RUNS,
  CJK_RANGES,
  CLEAN_WHITESPACE_RANGES,
  CONTROL_RANGES,
  LOWERCASE_MAP,
  NFD_MAP,
  NONSPACING_MARK_RANGES,
  PUNCTUATION_RANGES,
  SPLIT_WHITESPACE_RANGES,
} from './generated/bert-tables';

/** Removed by clean_text (Cc/Cf/Co as the crate sees them, NUL, U+FFFD). */
export const F_CONTROL = 1;
/** Turned into a space by clean_text. */
export const F_CLEAN_WS = 2;
/** A separator for the pre-tokenizer (Rust `char::is_whitespace`). */
export const F_SPLIT_WS = 4;
/** Isolated by the pre-tokenizer. */
export const F_PUNCT = 8;
/** A Chinese character (split when `handleChineseChars`). */
export const F_CJK = 16;
/** A non-spacing mark (removed when accents are stripped). */
export const F_MN = 32;
/** Has a canonical decomposition (NFD changes it). */
export const F_NFD = 64;
/** `to_lowercase` changes it. */
export const F_LOWER = 128;

/** Unicode data for the BERT pipeline, laid out for fast lookup. */
export interface BertUnicode {
  /** Flags per code point (0..0x10FFFF), the `F_*` bits. */
  readonly flags: Uint8Array;
  /**
   * Canonical combining class rank per code point (0 = starter), indexed by code point; code points at or
   * past its length are starters. A typed array, not a Map: it is read for every non-ASCII code point.
   */
  readonly ccc: Uint8Array;
  /** Full canonical decomposition for code points with `F_NFD` (Hangul syllables are algorithmic). */
  readonly nfd: Map<number, readonly number[]>;
  /** Lowercase mapping for code points with `F_LOWER`. */
  readonly lower: Map<number, readonly number[]>;
}

let cached: BertUnicode | undefined;

function setRanges(flags: Uint8Array, ranges: readonly number[], bit: number): void {
  for (let i = 0; i < ranges.length; i += 2) {
    const start = ranges[i] as number;
    const end = ranges[i + 1] as number;
    for (let c = start; c <= end; c++) flags[c] = (flags[c] as number) | bit;
  }
}

function readRecords(
  records: readonly number[],
  flags: Uint8Array,
  bit: number,
): Map<number, readonly number[]> {
  const map = new Map<number, readonly number[]>();
  let i = 0;
  while (i < records.length) {
    const cp = records[i] as number;
    const n = records[i + 1] as number;
    map.set(cp, records.slice(i + 2, i + 2 + n));
    flags[cp] = (flags[cp] as number) | bit;
    i += 2 + n;
  }
  return map;
}

/** The tables, built once on first use (about 1.2 MB). */
export function bertUnicode(): BertUnicode {
  if (cached !== undefined) return cached;
  const flags = new Uint8Array(0x110000);
  setRanges(flags, CONTROL_RANGES, F_CONTROL);
  setRanges(flags, CLEAN_WHITESPACE_RANGES, F_CLEAN_WS);
  setRanges(flags, SPLIT_WHITESPACE_RANGES, F_SPLIT_WS);
  setRanges(flags, PUNCTUATION_RANGES, F_PUNCT);
  setRanges(flags, CJK_RANGES, F_CJK);
  setRanges(flags, NONSPACING_MARK_RANGES, F_MN);
  const nfd = readRecords(NFD_MAP, flags, F_NFD);
  for (let c = 0xac00; c <= 0xd7a3; c++) flags[c] = (flags[c] as number) | F_NFD;
  const lower = readRecords(LOWERCASE_MAP, flags, F_LOWER);
  let cccEnd = 0;
  for (let i = 0; i < CCC_RANK_RUNS.length; i += 3)
    cccEnd = Math.max(cccEnd, (CCC_RANK_RUNS[i + 1] as number) + 1);
  const ccc = new Uint8Array(cccEnd);
  for (let i = 0; i < CCC_RANK_RUNS.length; i += 3) {
    const end = CCC_RANK_RUNS[i + 1] as number;
    const rank = CCC_RANK_RUNS[i + 2] as number;
    if (rank > 255) throw new RangeError(`combining class rank ${rank} does not fit a byte`);
    ccc.fill(rank, CCC_RANK_RUNS[i] as number, end + 1);
  }
  cached = { flags, ccc, nfd, lower };
  return cached;
}

/** Canonical decomposition of one code point (itself when it has none). */
export function decompose(u: BertUnicode, cp: number): readonly number[] {
  if (cp >= 0xac00 && cp <= 0xd7a3) {
    const s = cp - 0xac00;
    const t = s % 28;
    const l = 0x1100 + Math.floor(s / 588);
    const v = 0x1161 + Math.floor((s % 588) / 28);
    return t === 0 ? [l, v] : [l, v, 0x11a7 + t];
  }
  return u.nfd.get(cp) ?? [cp];
}
