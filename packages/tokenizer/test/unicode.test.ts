import { describe, expect, it } from 'vitest';
import { loadOracle } from '../scripts/oracle.mjs';
import { bertUnicode, decompose, F_CJK, F_CONTROL, F_MN, F_PUNCT, F_SPLIT_WS } from '../src/unicode/tables';
import { Vocabulary } from '../src/vocabulary';
import { WordPieceTokenizer } from '../src/wordpiece/wordpiece-tokenizer';

let oracle: ReturnType<typeof loadOracle> | undefined;
try {
  oracle = loadOracle();
} catch {
  oracle = undefined;
}

const u = bertUnicode();
const has = (c: number, f: number): boolean => ((u.flags[c] as number) & f) !== 0;
const icuControl = /^[\p{Cc}\p{Cf}\p{Co}]$/u;
const icuMn = /^\p{Mn}$/u;
const icuPunct = /^\p{P}$/u;

describe('pinned Unicode tables differ from the running ICU where the crate is older', () => {
  // Code points assigned in Unicode 14/15 (present in every ICU that Node 20+ ships) that the crate's
  // unicode_categories / unicode-normalization-alignments data predate.
  it('U+0890 ARABIC POUND MARK ABOVE is Cf for ICU but kept by clean_text', () => {
    expect(icuControl.test('\u0890')).toBe(true);
    expect(has(0x890, F_CONTROL)).toBe(false);
  });
  it('U+0898 ARABIC SMALL HIGH WORD AL-JUZ is Mn for ICU but not stripped', () => {
    expect(icuMn.test('\u0898')).toBe(true);
    expect(has(0x898, F_MN)).toBe(false);
  });
  it('U+061D ARABIC END OF TEXT MARK is punctuation for ICU but not split', () => {
    expect(icuPunct.test('\u061d')).toBe(true);
    expect(has(0x61d, F_PUNCT)).toBe(false);
  });
  it('the crate decomposes nothing assigned after Unicode 9 (U+105C9, Unicode 16)', () => {
    expect(decompose(u, 0x105c9)).toEqual([0x105c9]);
    if ('\u{105c9}'.normalize('NFD') !== '\u{105c9}')
      expect('\u{105c9}'.normalize('NFD').length).toBeGreaterThan(2);
  });
  it('lists how many code points differ (a table change shows up here)', () => {
    const diff = { control: [] as number[], mn: [] as number[], punct: [] as number[] };
    for (let c = 0; c < 0x110000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const s = String.fromCodePoint(c);
      if (c !== 9 && c !== 10 && c !== 13 && c !== 0xfffd && has(c, F_CONTROL) !== icuControl.test(s))
        diff.control.push(c);
      if (s.normalize('NFD') === s && has(c, F_MN) !== icuMn.test(s)) diff.mn.push(c);
      const asciiPunct = c < 128 && /[!-/:-@[-`{-~]/.test(s);
      if (has(c, F_PUNCT) !== (icuPunct.test(s) || asciiPunct)) diff.punct.push(c);
    }
    // Not only newer code points: the crate's old data strips U+1734 (HANUNOO SIGN PAMUDPOD) as Mn,
    // while Unicode 14+ (ICU) made it Mc.
    expect(diff.mn).toContain(0x1734);
    expect(icuMn.test('\u1734')).toBe(false);
    expect(diff.control).toContain(0x890);
    expect(diff.mn.length).toBeGreaterThan(100);
    expect(diff.punct.length).toBeGreaterThan(50);
  });
  it('ASCII punctuation that Unicode calls symbols ($ + < = > ^ ` | ~) is split, as the crate does', () => {
    for (const ch of '$+<=>^`|~') expect(has(ch.charCodeAt(0), F_PUNCT), ch).toBe(true);
  });
  it('CJK ranges are the crate ones (U+2B820..U+2B91F are not split, unlike Python BertTokenizer)', () => {
    expect(has(0x2b81f, F_CJK)).toBe(true);
    expect(has(0x2b820, F_CJK)).toBe(false);
    expect(has(0x2b91f, F_CJK)).toBe(false);
    expect(has(0x2b920, F_CJK)).toBe(true);
    expect(has(0x3400, F_CJK)).toBe(true);
    expect(has(0x3040, F_CJK)).toBe(false);
  });
  it('Rust whitespace (pre-tokenizer) includes U+0085 and U+2028', () => {
    expect(has(0x85, F_SPLIT_WS)).toBe(true);
    expect(has(0x2028, F_SPLIT_WS)).toBe(true);
    expect(has(0x200b, F_SPLIT_WS)).toBe(false);
  });
  it('lowercasing is per code point: no final sigma, unlike String.prototype.toLowerCase', () => {
    const tok = new WordPieceTokenizer(new Vocabulary(['[UNK]', '[CLS]', '[SEP]']), {
      lowercase: true,
      stripAccents: false,
    });
    expect('ΟΔΟΣ'.toLowerCase()).toBe('οδος');
    expect(tok.normalize('ΟΔΟΣ')).toBe('οδοσ');
  });
});

describe.skipIf(oracle === undefined)('every code point against the tokenizers crate', () => {
  const configs = [
    { cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true },
    { cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: false },
    { cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: true },
    { cleanText: false, handleChineseChars: true, stripAccents: true, lowercase: false },
  ];
  it.each(configs)('BertNormalizer %o', (cfg) => {
    const o = (oracle as NonNullable<typeof oracle>).bertNormalizer(cfg);
    const tok = new WordPieceTokenizer(new Vocabulary(['[UNK]', '[CLS]', '[SEP]']), cfg);
    const bad: string[] = [];
    for (let c = 0; c < 0x110000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const s = String.fromCodePoint(c);
      // A letter on each side catches changes that depend on neighbours.
      const probe = `a${s}b`;
      if (tok.normalize(probe) !== o.normalizeString(probe)) bad.push(c.toString(16));
      if (bad.length > 20) break;
    }
    expect(bad).toEqual([]);
  });
  it('lone surrogates behave as U+FFFD, as through the Node binding', () => {
    const o = (oracle as NonNullable<typeof oracle>).bertNormalizer({
      cleanText: false,
      handleChineseChars: false,
      stripAccents: false,
      lowercase: false,
    });
    const tok = new WordPieceTokenizer(new Vocabulary(['[UNK]', '[CLS]', '[SEP]']), {
      cleanText: false,
      lowercase: false,
    });
    expect(tok.normalize('a\ud800b\udc00')).toBe(o.normalizeString('a\ud800b\udc00'));
    expect(tok.normalize('a\ud800b')).toBe('a\ufffdb');
  });
});
