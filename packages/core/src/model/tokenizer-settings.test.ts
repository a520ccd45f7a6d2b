import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectModelError } from '../../test/helpers/expect-model-error';
import { writeIn } from '../../test/helpers/temp-dir';
import { ModelConfigError, VocabError } from '../errors/model-errors';
import { readTokenizerSettings } from './tokenizer-settings';
import { parseVocabTxt } from './vocab-txt';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh model folder holding `files` (strings, or objects written as JSON). */
async function folder(files: Record<string, string | object>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'samp-tok-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    await writeIn(dir, name, typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', '##lo'];

function wordPieceJson(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '1.0',
    added_tokens: [
      { id: 0, content: '[PAD]', special: true },
      { id: 1, content: '[UNK]', special: true },
    ],
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: false,
      strip_accents: null,
      lowercase: false,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
    },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 50,
      vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])),
    },
    ...extra,
  };
}

describe('parseVocabTxt', () => {
  const parse = (text: string) => parseVocabTxt(new TextEncoder().encode(text), 'vocab.txt');

  it('one token per line; \\r\\n and \\r end lines; no token after the final newline', () => {
    expect(parse('a\nb\n')).toEqual(['a', 'b']);
    expect(parse('a\r\nb\r\nc')).toEqual(['a', 'b', 'c']);
    expect(parse('a\rb\n')).toEqual(['a', 'b']);
    expect(parse('a\n\nb\n')).toEqual(['a', '', 'b']);
    expect(parse(' x \n')).toEqual([' x ']);
  });

  it('keeps duplicate tokens at both lines (a map built in order gives the last id, as load_vocab does)', () => {
    const tokens = parse('a\nb\na\n');
    expect(tokens).toEqual(['a', 'b', 'a']);
    expect(new Map(tokens.map((t, i) => [t, i])).get('a')).toBe(2);
  });

  it('refuses an empty file and invalid UTF-8', () => {
    expect(() => parse('')).toThrow(VocabError);
    expect(() => parseVocabTxt(new Uint8Array([0x61, 0xff, 0x0a]), 'vocab.txt')).toThrow(/not valid UTF-8/);
  });
});

describe('readTokenizerSettings from vocab.txt', () => {
  it('uses BertTokenizer defaults when there is no tokenizer config', async () => {
    const dir = await folder({ 'vocab.txt': `${VOCAB.join('\n')}\n` });
    const s = await readTokenizerSettings(dir);
    expect(s).toEqual({
      vocabFile: join(dir, 'vocab.txt'),
      vocab: VOCAB,
      doLowerCase: true,
      stripAccents: undefined,
      tokenizeChineseChars: true,
      cleanText: true,
      modelMaxLength: undefined,
      specialTokens: { unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', mask: '[MASK]' },
      continuingSubwordPrefix: '##',
      maxInputCharsPerWord: 100,
    });
  });

  it('reads tokenizer_config.json; special_tokens_map.json overrides its special tokens', async () => {
    const dir = await folder({
      'vocab.txt': `${[...VOCAB, '<unk>', '<s>'].join('\n')}\n`,
      'tokenizer_config.json': {
        do_lower_case: false,
        strip_accents: true,
        tokenize_chinese_chars: false,
        model_max_length: 128,
        unk_token: { content: '<unk>', lstrip: false, __type: 'AddedToken' },
        cls_token: '[CLS]',
        mask_token: 'hello',
      },
      'special_tokens_map.json': { cls_token: { content: '<s>' }, pad_token: '[MASK]' },
    });
    const s = await readTokenizerSettings(dir);
    expect(s).toMatchObject({
      doLowerCase: false,
      stripAccents: true,
      tokenizeChineseChars: false,
      modelMaxLength: 128,
      specialTokens: { unk: '<unk>', cls: '<s>', sep: '[SEP]', pad: '[MASK]', mask: 'hello' },
    });
  });

  it('treats transformers’ 1e30 model_max_length as no limit', async () => {
    const dir = await folder({
      'vocab.txt': VOCAB.join('\n'),
      // As transformers writes it: int(1e30), which JSON.parse reads as 1e30.
      'tokenizer_config.json': '{"model_max_length": 1000000000000000019884624838656, "strip_accents": null}',
    });
    const s = await readTokenizerSettings(dir);
    expect(s?.modelMaxLength).toBeUndefined();
    expect(s?.stripAccents).toBeUndefined();
  });

  it('vocab.txt wins over tokenizer.json', async () => {
    const dir = await folder({
      'vocab.txt': VOCAB.slice(0, 4).join('\n'),
      'tokenizer.json': wordPieceJson(),
    });
    const s = await readTokenizerSettings(dir);
    expect(s?.vocabFile).toBe(join(dir, 'vocab.txt'));
    expect(s?.vocab).toHaveLength(4);
  });

  it('no tokenizer files → undefined', async () => {
    expect(await readTokenizerSettings(await folder({ 'config.json': {} }))).toBeUndefined();
  });
});

describe('readTokenizerSettings from tokenizer.json only', () => {
  it('reads the WordPiece model and the BertNormalizer flags', async () => {
    const dir = await folder({ 'tokenizer.json': wordPieceJson() });
    const s = await readTokenizerSettings(dir);
    expect(s).toEqual({
      vocabFile: join(dir, 'tokenizer.json'),
      vocab: VOCAB,
      doLowerCase: false,
      stripAccents: undefined,
      tokenizeChineseChars: false,
      cleanText: true,
      modelMaxLength: undefined,
      specialTokens: { unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', mask: '[MASK]' },
      continuingSubwordPrefix: '##',
      maxInputCharsPerWord: 50,
    });
  });

  it('reads a normalizer Sequence; tokenizer_config.json flags take precedence', async () => {
    const json = wordPieceJson({
      normalizer: {
        type: 'Sequence',
        normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'StripAccents' }],
      },
    });
    const s = await readTokenizerSettings(await folder({ 'tokenizer.json': json }));
    expect(s).toMatchObject({
      doLowerCase: true,
      stripAccents: true,
      tokenizeChineseChars: false,
      cleanText: false,
    });
    const t = await readTokenizerSettings(
      await folder({
        'tokenizer.json': json,
        'tokenizer_config.json': { do_lower_case: false, tokenize_chinese_chars: true },
      }),
    );
    expect(t).toMatchObject({ doLowerCase: false, stripAccents: true, tokenizeChineseChars: true });
  });

  it('takes [CLS]/[SEP] from a BertProcessing post-processor', async () => {
    const vocab = Object.fromEntries([...VOCAB, '<c>', '<s>'].map((t, i) => [t, i]));
    const json = wordPieceJson({
      post_processor: { type: 'BertProcessing', sep: ['<s>', 8], cls: ['<c>', 7] },
    });
    (json.model as Record<string, unknown>).vocab = vocab;
    const s = await readTokenizerSettings(await folder({ 'tokenizer.json': json }));
    expect(s?.specialTokens).toMatchObject({ cls: '<c>', sep: '<s>' });
  });
});

describe('readTokenizerSettings: errors', () => {
  it('an empty vocab.txt', async () => {
    const dir = await folder({ 'vocab.txt': '' });
    await expectModelError(readTokenizerSettings(dir), VocabError, 'SAMP_MODEL_VOCAB', [
      join(dir, 'vocab.txt'),
      'empty',
    ]);
  });

  it('a vocabulary without [UNK]', async () => {
    const dir = await folder({ 'vocab.txt': VOCAB.filter((t) => t !== '[UNK]').join('\n') });
    await expectModelError(readTokenizerSettings(dir), VocabError, 'SAMP_MODEL_VOCAB', [
      join(dir, 'vocab.txt'),
      '"[UNK]"',
    ]);
  });

  it('a configured [CLS] name missing from tokenizer.json’s vocabulary', async () => {
    const dir = await folder({
      'tokenizer.json': wordPieceJson(),
      'tokenizer_config.json': { cls_token: '<s>' },
    });
    await expectModelError(readTokenizerSettings(dir), VocabError, 'SAMP_MODEL_VOCAB', [
      join(dir, 'tokenizer.json'),
      '"<s>"',
    ]);
  });

  it('a BPE tokenizer.json, or BPE / SentencePiece files: only WordPiece is supported', async () => {
    const bpe = await folder({ 'tokenizer.json': { model: { type: 'BPE', vocab: { a: 0 }, merges: [] } } });
    await expectModelError(readTokenizerSettings(bpe), VocabError, 'SAMP_MODEL_VOCAB', [
      join(bpe, 'tokenizer.json'),
      'only WordPiece',
      '"BPE"',
    ]);
    const roberta = await folder({ 'vocab.json': { a: 0 }, 'merges.txt': '#version: 0.2\n' });
    await expectModelError(readTokenizerSettings(roberta), VocabError, 'SAMP_MODEL_VOCAB', [
      'vocab.json',
      'only WordPiece',
    ]);
    const spm = await folder({ 'sentencepiece.bpe.model': 'x' });
    await expectModelError(readTokenizerSettings(spm), VocabError, 'SAMP_MODEL_VOCAB', [
      'sentencepiece.bpe.model',
    ]);
  });

  it('non-contiguous tokenizer.json ids and added tokens outside the vocabulary', async () => {
    const gap = wordPieceJson();
    (gap.model as Record<string, unknown>).vocab = { '[UNK]': 0, '[CLS]': 1, '[SEP]': 5 };
    await expectModelError(
      readTokenizerSettings(await folder({ 'tokenizer.json': gap })),
      VocabError,
      'SAMP_MODEL_VOCAB',
      ['model.vocab.[SEP]', 'contiguous'],
    );
    const added = wordPieceJson({ added_tokens: [{ id: 7, content: '<new>' }] });
    await expectModelError(
      readTokenizerSettings(await folder({ 'tokenizer.json': added })),
      VocabError,
      'SAMP_MODEL_VOCAB',
      ['"<new>"'],
    );
  });

  it('an unsupported normalizer', async () => {
    const dir = await folder({ 'tokenizer.json': wordPieceJson({ normalizer: { type: 'NFKC' } }) });
    await expectModelError(readTokenizerSettings(dir), VocabError, 'SAMP_MODEL_VOCAB', [
      '"NFKC"',
      'normalizer',
    ]);
  });

  it('malformed tokenizer_config.json fields', async () => {
    const bad = await folder({
      'vocab.txt': VOCAB.join('\n'),
      'tokenizer_config.json': { do_lower_case: 'yes' },
    });
    await expectModelError(readTokenizerSettings(bad), ModelConfigError, 'SAMP_MODEL_CONFIG', [
      join(bad, 'tokenizer_config.json'),
      'do_lower_case',
    ]);
    const badToken = await folder({
      'vocab.txt': VOCAB.join('\n'),
      'special_tokens_map.json': { unk_token: 3 },
    });
    await expectModelError(readTokenizerSettings(badToken), ModelConfigError, 'SAMP_MODEL_CONFIG', [
      'special_tokens_map.json',
      'unk_token',
    ]);
    const badJson = await folder({ 'vocab.txt': VOCAB.join('\n'), 'tokenizer_config.json': '{"a":' });
    await expectModelError(readTokenizerSettings(badJson), ModelConfigError, 'SAMP_MODEL_CONFIG', [
      'not valid JSON',
    ]);
  });
});
