import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { describe, expect, it } from 'vitest';
import {
  CharTokenizer,
  createJiebaSegmenter,
  IntlSegmenter,
  lowercaseKey,
  type Segmenter,
  TokenizerOptionError,
  tokenizerFromSpec,
  Vocabulary,
  WhitespaceSegmenter,
  WORD_CHUNK,
  WordTokenizer,
} from '../src/index';
import { excerpt, surfaces } from './excerpt-helpers';
import { vocabFor } from './golden-helpers';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const isSpace = (s: string): boolean => /^\s+$/u.test(s);
const jieba = Jieba.withDict(dict);

describe('CharTokenizer', () => {
  for (const [lang, vocabName] of [
    ['zh', 'chinese'],
    ['en', 'uncased'],
  ] as const) {
    it(`one token per non-space code point on real ${lang} text, offsets and ids from the vocabulary`, () => {
      const vocab = vocabFor(vocabName);
      const tok = new CharTokenizer(vocab);
      expect(tok.resolved.lowercase).toBe(true); // both BERT vocabularies are uncased
      let unk = 0;
      let total = 0;
      for (const line of excerpt(lang)) {
        const toks = surfaces(tok, line);
        const chars = Array.from(line).filter((c) => !isSpace(c) && !/^\p{Cc}|\p{Cf}$/u.test(c));
        expect(toks.map((t) => t.surface)).toEqual(chars);
        for (const t of toks) {
          const want = vocab.tokenToId(lowercaseKey(t.surface)) ?? tok.unkId;
          expect(t.id, t.surface).toBe(want);
          if (t.id === tok.unkId) unk++;
        }
        total += toks.length;
      }
      expect(total).toBeGreaterThan(10_000);
      expect(unk / total).toBeLessThan(0.05);
    });
  }

  it('encodes with the special-token template, pairs, truncation and padding', () => {
    const tok = new CharTokenizer(vocabFor('chinese'));
    expect(tok.tokenize('中文 Hi😀 [MASK]')).toEqual(['中', '文', 'h', 'i', '[UNK]', '[MASK]']);
    const e = tok.encode('中文', '你好', { maxLength: 5, padding: 'max_length', padLength: 8 });
    expect(Array.from(e.ids)).toEqual([101, 704, 102, 872, 102, 0, 0, 0]);
    expect(Array.from(e.typeIds)).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    expect(Array.from(e.offsets.subarray(0, 10))).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 0]);
    const emoji = tok.encode('a😀b');
    expect(Array.from(emoji.offsets)).toEqual([0, 0, 0, 1, 1, 3, 3, 4, 0, 0]);
  });

  it('keeps case for a cased vocabulary (lowercase "auto")', () => {
    const tok = new CharTokenizer(['[UNK]', '[CLS]', '[SEP]', 'A', 'a']);
    expect(tok.resolved.lowercase).toBe(false);
    expect(tok.tokenize('Aa')).toEqual(['A', 'a']);
    expect(new CharTokenizer(['[UNK]', '[CLS]', '[SEP]', 'a'], { lowercase: true }).tokenize('A')).toEqual([
      'a',
    ]);
  });
});

/** Checks surfaces/ids of a word tokenizer on real lines against the words the segmenter reports. */
function checkWords(
  tok: WordTokenizer,
  vocab: Vocabulary,
  lines: readonly string[],
  words: (line: string) => string[],
) {
  let n = 0;
  let known = 0;
  for (const line of lines) {
    const toks = surfaces(tok, line);
    expect(
      toks.map((t) => t.surface),
      line,
    ).toEqual(words(line));
    for (const t of toks) {
      const key = tok.resolved.lowercase ? lowercaseKey(t.surface) : t.surface;
      expect(t.id, t.surface).toBe(vocab.tokenToId(key) ?? tok.unkId);
      if (t.id !== tok.unkId) known++;
    }
    n += toks.length;
  }
  expect(n).toBeGreaterThan(5000);
  return known / n;
}

describe('WordTokenizer', () => {
  it('WhitespaceSegmenter: BERT whitespace/punctuation words on real English', () => {
    const vocab = vocabFor('uncased');
    const tok = new WordTokenizer(vocab, { segmenter: new WhitespaceSegmenter() });
    const ascii = excerpt('en').filter((l) => /^[\x20-\x7e]*$/.test(l));
    expect(ascii.length).toBeGreaterThan(1000);
    // For ASCII, BERT punctuation is every non-alphanumeric printable character.
    const known = checkWords(tok, vocab, ascii, (l) => l.match(/[A-Za-z0-9]+|[^\sA-Za-z0-9]/g) ?? []);
    expect(known).toBeGreaterThan(0.9);
  });

  it('IntlSegmenter (default): ICU words on real English, punctuation kept, spaces dropped', () => {
    const vocab = vocabFor('uncased');
    const tok = new WordTokenizer(vocab);
    const seg = new Intl.Segmenter(undefined, { granularity: 'word' });
    const known = checkWords(tok, vocab, excerpt('en').slice(0, 600), (l) =>
      Array.from(seg.segment(l), (s) => s.segment).filter((s) => !isSpace(s)),
    );
    expect(known).toBeGreaterThan(0.85);
  });

  it('IntlSegmenter on real Chinese finds multi-character words', () => {
    const lines = excerpt('zh').slice(0, 500);
    const seg = new Intl.Segmenter('zh', { granularity: 'word' });
    const words = new Set<string>();
    for (const l of lines) for (const s of seg.segment(l)) if (s.isWordLike) words.add(s.segment);
    const vocab = new Vocabulary([...SPECIALS, ...words]);
    const tok = new WordTokenizer(vocab, { segmenter: new IntlSegmenter('zh') });
    const known = checkWords(tok, vocab, lines, (l) =>
      Array.from(seg.segment(l), (s) => s.segment).filter((s) => !isSpace(s)),
    );
    expect(known).toBeGreaterThan(0.8); // punctuation is not in this vocabulary
    expect(tok.tokenize(lines[0] as string).some((t) => t.length > 1)).toBe(true);
  });

  it('jieba adapter on real Chinese: jieba words, [UNK] for words outside the vocabulary', () => {
    const lines = excerpt('zh');
    const train = lines.slice(0, 1000);
    const test = lines.slice(1000);
    const counts = new Map<string, number>();
    for (const l of train) for (const w of jieba.cut(l, false)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const vocab = new Vocabulary([
      ...SPECIALS,
      ...[...counts].filter(([w, c]) => c >= 2 && !isSpace(w)).map(([w]) => w),
    ]);
    const tok = new WordTokenizer(vocab, { segmenter: createJiebaSegmenter(jieba) });
    const known = checkWords(tok, vocab, test, (l) => jieba.cut(l, false).filter((w) => !isSpace(w)));
    expect(known).toBeGreaterThan(0.3);
    expect(known).toBeLessThan(1);
    const e = tok.encode('我们在北京', undefined, { maxLength: 4 });
    expect(e.length).toBe(4);
    expect(tok.convertIdsToTokens(e.ids)[0]).toBe('[CLS]');
  });

  it('a long text is segmented in pieces with the same result as line by line', () => {
    const vocab = vocabFor('uncased');
    const lines = excerpt('en');
    const text = lines.join('\n');
    expect(text.length).toBeGreaterThan(4 * WORD_CHUNK);
    for (const segmenter of [new WhitespaceSegmenter(), createJiebaSegmenter(jieba)]) {
      const tok = new WordTokenizer(vocab, { segmenter });
      const whole = tok.tokenizeToSeq(text);
      const ids: number[] = [];
      const starts: number[] = [];
      let base = 0;
      for (const l of lines) {
        const s = tok.tokenizeToSeq(l);
        ids.push(...s.ids);
        for (const x of s.starts) starts.push(x + base);
        base += l.length + 1;
      }
      expect(Array.from(whole.ids)).toEqual(ids);
      expect(Array.from(whole.starts)).toEqual(starts);
    }
  });

  it('rebuilds from toSpec() with the same results (Intl, whitespace and jieba segmenters)', async () => {
    const vocab = vocabFor('chinese');
    const lines = excerpt('zh').slice(0, 200);
    for (const segmenter of [
      new IntlSegmenter('zh'),
      new WhitespaceSegmenter(),
      createJiebaSegmenter(jieba, { hmm: true }),
    ]) {
      const tok = new WordTokenizer(vocab, { segmenter, lowercase: false });
      const copy = await tokenizerFromSpec(structuredClone(tok.toSpec()));
      expect(copy).toBeInstanceOf(WordTokenizer);
      expect(Array.from(copy.encodeBatch(lines).ids)).toEqual(Array.from(tok.encodeBatch(lines).ids));
    }
    const ch = new CharTokenizer(vocab);
    const chCopy = await tokenizerFromSpec(ch.toSpec());
    expect(Array.from(chCopy.encodeBatch(lines).ids)).toEqual(Array.from(ch.encodeBatch(lines).ids));
  });

  it('rejects a segmenter that returns bad ranges', () => {
    const bad: Segmenter = {
      segment(_t, from, to, out) {
        out.push(from, to, from, to);
      },
    };
    const tok = new WordTokenizer(vocabFor('uncased'), { segmenter: bad });
    expect(() => tok.encode('two words')).toThrow(TokenizerOptionError);
  });
});

describe('early stop and chunking keep results exact', () => {
  const long = excerpt('zh').join(' ') + excerpt('en').join(' ');
  it.each([
    ['wordpiece', () => import('./golden-helpers').then((m) => m.tokenizerFor('chinese', true))],
    ['char', async () => new CharTokenizer(vocabFor('chinese'))],
    ['word', async () => new WordTokenizer(vocabFor('uncased'), { segmenter: new WhitespaceSegmenter() })],
  ])('%s: encode with maxLength equals the full tokenization cut', async (_name, make) => {
    const tok = await make();
    const full = tok.tokenizeToSeq(long);
    expect(full.ids.length).toBeGreaterThan(1000);
    const e = tok.encode(long, undefined, { maxLength: 300 });
    expect(Array.from(e.ids.subarray(1, 299))).toEqual(Array.from(full.ids.subarray(0, 298)));
    expect(e.offsets[2 * 298 + 1]).toBe(full.ends[297]);
  });
  it('wordpiece: a text over the normalization chunk equals the sum of its parts', async () => {
    const { tokenizerFor } = await import('./golden-helpers');
    const tok = tokenizerFor('uncased', true);
    const parts = [excerpt('en').join(' '), excerpt('zh').join('')];
    const text = parts.join(' ');
    expect(text.length).toBeGreaterThan(1 << 17);
    const whole = tok.tokenizeToSeq(text);
    const a = tok.tokenizeToSeq(parts[0] as string);
    const b = tok.tokenizeToSeq(parts[1] as string);
    expect(Array.from(whole.ids)).toEqual([...a.ids, ...b.ids]);
    const shift = (parts[0] as string).length + 1;
    expect(Array.from(whole.starts)).toEqual([...a.starts, ...Array.from(b.starts, (x) => x + shift)]);
  });
});
