import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BaseTokenizer,
  CharTokenizer,
  createJiebaSegmenter,
  DEFAULT_MAX_INPUT_LENGTH,
  IntlSegmenter,
  TokenizerInputError,
  TokenizerOptionError,
  VocabError,
  Vocabulary,
  WhitespaceSegmenter,
  WordTokenizer,
} from '../src/index';
import { tokenizerFor, vocabFor } from './golden-helpers';

const makers: [string, (v: Vocabulary | readonly string[], o?: object) => BaseTokenizer][] = [
  ['char', (v, o) => new CharTokenizer(v, o)],
  ['word (Intl)', (v, o) => new WordTokenizer(v, o)],
  ['word (whitespace)', (v, o) => new WordTokenizer(v, { segmenter: new WhitespaceSegmenter(), ...o })],
];

describe.each(makers)('%s tokenizer: bad input gives typed errors', (_name, make) => {
  const tok = make(vocabFor('chinese'));

  it('non-string input', () => {
    for (const bad of [42, null, undefined, {}, ['a'], Symbol('x')]) {
      expect(() => tok.encode(bad as unknown as string)).toThrow(TokenizerInputError);
      expect(() => tok.tokenize(bad as unknown as string)).toThrow(TokenizerInputError);
    }
    expect(() => tok.encode('a', 7 as unknown as string)).toThrow(TokenizerInputError);
    expect(() => tok.encodeBatch(['ok', ['a', 1] as unknown as string])).toThrow(/input 1/);
    expect(() => tok.encodeBatch('not an array' as unknown as string[])).toThrow(TokenizerInputError);
  });

  it('empty vocabularies and missing [UNK]/[CLS]/[SEP]', async () => {
    expect(() => make([])).toThrow(VocabError);
    expect(() => make(Vocabulary.fromText(''))).toThrow(/empty/);
    expect(() => make(['[CLS]', '[SEP]', 'a'])).toThrow(/unknown token "\[UNK\]"/);
    expect(() => make(['[UNK]', '[SEP]', 'a'])).toThrow(/classifier token/);
    expect(() => make(['[UNK]', '[CLS]', 'a'])).toThrow(/separator token/);
    const dir = await mkdtemp(join(tmpdir(), 'samp-vocab-'));
    await writeFile(join(dir, 'vocab.txt'), '');
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(join(dir, 'vocab.txt'), 'utf8');
    expect(() => make(Vocabulary.fromText(text, join(dir, 'vocab.txt')))).toThrow(VocabError);
    // A custom template does not need [CLS]/[SEP].
    const t = make(['[UNK]', 'a'], {
      template: { single: [{ kind: 'sequence', sequence: 0, typeId: 0 }], pair: [] },
    });
    expect(Array.from(t.encode('a').ids)).toEqual([1]);
  });

  it('unknown option values', () => {
    const v = vocabFor('chinese');
    expect(() => make(v, { lowercase: 'maybe' })).toThrow(TokenizerOptionError);
    expect(() => make(v, { specialTokens: { unk: '' } })).toThrow(/specialTokens.unk/);
    expect(() => make(v, { maxInputLength: 0 })).toThrow(/maxInputLength/);
    expect(() => make(v, { template: 'bert' })).toThrow(/template/);
    expect(() => make(v, { addedTokens: [{ content: 'zzz-not-in-vocab' }] })).toThrow(/addedTokens\[0\]/);
    expect(() => tok.encode('a', undefined, { truncation: 'middle' as never, maxLength: 5 })).toThrow(
      TokenizerOptionError,
    );
    expect(() => tok.encode('a', undefined, { padding: 'sideways' as never })).toThrow(/padding/);
    expect(() => tok.encode('a', undefined, { maxLength: 1.5 })).toThrow(/maxLength/);
    expect(() => tok.encodeBuckets(['a'], { batchSize: 0 })).toThrow(/batchSize/);
  });

  it('a 50 MB string: the start is tokenized at once with maxLength; full tokenization is refused', () => {
    const big = '今天天气很好，我们去公园散步。The quick brown fox jumps over the lazy dog. '
      .repeat(800_000)
      .slice(0, 50_000_000);
    expect(big.length).toBeGreaterThan(DEFAULT_MAX_INPUT_LENGTH);
    const t0 = Date.now();
    const e = tok.encode(big, undefined, { maxLength: 512 });
    expect(e.length).toBe(512);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(() => tok.encode(big)).toThrow(/maxInputLength/);
    expect(() => tok.encode('a', big)).toThrow(TokenizerInputError);
    expect(() => tok.tokenizeToSeq(big)).toThrow(TokenizerInputError);
    const lifted = make(vocabFor('chinese'), { maxInputLength: Number.POSITIVE_INFINITY });
    expect(lifted.tokenizeToSeq(big.slice(0, 2_000_000)).ids.length).toBeGreaterThan(100_000);
  });
});

describe('segmenter options', () => {
  it('bad locale, bad jieba instance, bad segmenter', () => {
    expect(() => new IntlSegmenter('not a locale!!')).toThrow(TokenizerOptionError);
    expect(() => new IntlSegmenter(42 as never)).toThrow(TokenizerOptionError);
    expect(() => createJiebaSegmenter({} as never)).toThrow(/Jieba/);
    expect(() => createJiebaSegmenter({ cut: () => [] }, { hmm: 'yes' as never })).toThrow(/hmm/);
    expect(() => new WordTokenizer(vocabFor('uncased'), { segmenter: {} as never })).toThrow(/segmenter/);
    expect(() => new WordTokenizer(vocabFor('uncased'), { maxInputCharsPerWord: 0 })).toThrow(
      /maxInputCharsPerWord/,
    );
  });
  it('wordpiece refuses a 50 MB text it must tokenize whole, and accepts the option', () => {
    const big = 'word '.repeat(10_000_000);
    const wp = tokenizerFor('uncased', true);
    expect(() => wp.encode(big, undefined, { maxLength: 16, returnOverflowing: true })).toThrow(
      /maxInputLength/,
    );
    expect(wp.encode(big, undefined, { maxLength: 16 }).length).toBe(16);
  });
});
