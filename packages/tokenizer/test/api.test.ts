import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SampError } from '@samp/core';
import { describe, expect, it } from 'vitest';
import {
  fromModelDir,
  fromSettings,
  fromVocab,
  fromVocabFile,
  type TokenizerError,
  TokenizerInputError,
  TokenizerOptionError,
  TruncationError,
  VocabError,
} from '../src/index';
import { tokenizerFor, vocabFor } from './golden-helpers';

describe('bad input gives typed errors, never a crash', () => {
  const tok = tokenizerFor('uncased', true);
  it('non-string input', () => {
    expect(() => tok.encode(42 as unknown as string)).toThrow(TokenizerInputError);
    expect(() => tok.encode('a', 7 as unknown as string)).toThrow(TokenizerInputError);
    expect(() => tok.encodeBatch(['ok', null as unknown as string])).toThrow(/input 1/);
    try {
      tok.encode(undefined as unknown as string);
    } catch (e) {
      expect(SampError.isInstance(e)).toBe(true);
      expect((e as TokenizerError).code).toBe('SAMP_TOKENIZER_INPUT');
    }
  });
  it('vocabularies that are empty or lack [UNK]/[CLS]/[SEP]', async () => {
    expect(() => fromVocab('')).toThrow(VocabError);
    expect(() => fromVocab([])).toThrow(/empty/);
    expect(() => fromVocab(['[CLS]', '[SEP]', 'a'])).toThrow(/unknown token "\[UNK\]"/);
    expect(() => fromVocab(['[UNK]', '[SEP]', 'a'])).toThrow(/classifier token/);
    expect(() => fromVocab(['[UNK]', '[CLS]', 'a'])).toThrow(/separator token/);
    const dir = await mkdtemp(join(tmpdir(), 'samp-vocab-'));
    await writeFile(join(dir, 'vocab.txt'), '');
    await expect(fromVocabFile(join(dir, 'vocab.txt'))).rejects.toMatchObject({
      code: 'SAMP_TOKENIZER_VOCAB',
    });
    await expect(fromVocabFile(join(dir, 'missing.txt'))).rejects.toThrow(VocabError);
    await expect(fromModelDir(dir)).rejects.toMatchObject({ code: 'SAMP_TOKENIZER_VOCAB' });
  });
  it('unknown option values', () => {
    expect(() => tok.encode('a', undefined, { truncation: 'middle' as never, maxLength: 5 })).toThrow(
      TokenizerOptionError,
    );
    expect(() => tok.encode('a', undefined, { maxLength: -1 })).toThrow(/maxLength/);
    expect(() => tok.encode('a', undefined, { padding: 'sideways' as never })).toThrow(/padding/);
    expect(() => tok.encode('a', 'b', { maxLength: 2 })).toThrow(/room for the 3 special tokens/);
    expect(() => tok.encode('a b c d', undefined, { maxLength: 4, stride: 2 })).toThrow(TruncationError);
    expect(() => tok.encode('a b c', undefined, { maxLength: 4, truncation: 'only_second' })).toThrow(
      TruncationError,
    );
    expect(() => fromVocab(vocabFor('uncased').tokens, { lowercase: 'yes' as never })).toThrow(
      TokenizerOptionError,
    );
  });
  it('a 50 MB string is tokenized, in bounded time', () => {
    const big = 'The quick brown fox jumps over the lazy dog. 中文字符 '
      .repeat(1_000_000)
      .slice(0, 50_000_000);
    const t0 = Date.now();
    const e = tok.encode(big, undefined, { maxLength: 512 });
    expect(e.length).toBe(512);
    const seq = tok.tokenizeToSeq(big.slice(0, 5_000_000));
    expect(seq.ids.length).toBeGreaterThan(1_000_000);
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});

describe('batch API', () => {
  const tok = tokenizerFor('uncased', true);
  it('packs typed arrays padded to the longest, with lengths and offsets', () => {
    const b = tok.encodeBatch(['hello world', ['a', 'pair of texts'], { text: 'x' }]);
    expect(b.batchSize).toBe(3);
    expect(b.seqLength).toBe(7);
    expect(b.ids).toBeInstanceOf(Int32Array);
    expect(Array.from(b.lengths)).toEqual([4, 7, 3]);
    expect(Array.from(b.ids.subarray(0, 7))).toEqual([101, 7592, 2088, 102, 0, 0, 0]);
    expect(Array.from(b.attentionMask.subarray(0, 7))).toEqual([1, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(b.typeIds.subarray(7, 14))).toEqual([0, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(b.offsets.subarray(2, 4))).toEqual([0, 5]);
    expect(Array.from(b.inputIndices)).toEqual([0, 1, 2]);
  });
  it('sorts and buckets by length, keeping the input index of every row', () => {
    const inputs = ['a', 'a b c d e f g h', 'a b', 'a b c d', 'a b c'];
    const buckets = tok.encodeBuckets(inputs, { batchSize: 2 });
    expect(buckets.map((x) => x.batchSize)).toEqual([2, 2, 1]);
    expect(buckets.map((x) => x.seqLength)).toEqual([10, 5, 3]);
    expect(buckets.flatMap((x) => Array.from(x.inputIndices))).toEqual([1, 3, 4, 2, 0]);
  });
  it('long documents: overflowing windows with stride become rows', () => {
    const doc = Array.from({ length: 50 }, (_, i) => `word${i}`).join(' ');
    const b = tok.encodeBatch([doc, 'short'], { maxLength: 32, stride: 8, returnOverflowing: true });
    const rows = Array.from(b.inputIndices);
    expect(rows[0]).toBe(0);
    expect(rows.filter((r) => r === 0).length).toBeGreaterThan(3);
    expect(rows.at(-1)).toBe(1);
    expect(b.seqLength).toBe(32);
  });
  it('padding to a fixed length, left side', () => {
    const e = tok.encode('hello', undefined, { padding: 'max_length', maxLength: 6, paddingSide: 'left' });
    expect(Array.from(e.ids)).toEqual([0, 0, 0, 101, 7592, 102]);
    expect(Array.from(e.attentionMask)).toEqual([0, 0, 0, 1, 1, 1]);
  });
});

describe('loading', () => {
  it('accepts a TokenizerSettings-shaped object', () => {
    const t = fromSettings({
      vocabFile: 'mem',
      vocab: vocabFor('chinese').tokens,
      doLowerCase: false,
      stripAccents: undefined,
      tokenizeChineseChars: true,
      modelMaxLength: 512,
      specialTokens: { unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', mask: '[MASK]' },
      continuingSubwordPrefix: '##',
      maxInputCharsPerWord: 100,
    });
    expect(Array.from(t.encode('中文').ids)).toEqual([101, 704, 3152, 102]);
    expect(t.modelMaxLength).toBe(512);
  });
  it('reads tokenizer.json when there is no vocab.txt', async () => {
    const { bertTokenizerJson } = await import('../scripts/oracle.mjs');
    const dir = await mkdtemp(join(tmpdir(), 'samp-tj-'));
    await writeFile(join(dir, 'tokenizer.json'), bertTokenizerJson(vocabFor('uncased').tokens, false));
    const t = await fromModelDir(dir);
    expect(t.options.lowercase).toBe(false);
    expect(Array.from(t.encode('Hello [MASK]').ids)).toEqual([101, 100, 103, 102]);
  });
});
