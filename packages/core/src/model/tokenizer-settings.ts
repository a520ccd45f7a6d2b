import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelConfigError, VocabError } from '../errors/model-errors';
import { ConfigFields } from './config-fields';
// showJson: JSON.stringify of a deeply nested value overflows the stack (see its comment).
import { isJsonObject, readJsonFile, readOptionalJsonFile, showJson } from './json-file';
import type { TokenizerSettings } from './model-artifacts';
import { parseTokenizerJson } from './tokenizer-json';
import { parseVocabTxt } from './vocab-txt';

/** Vocabulary files of tokenizers samp does not implement yet (byte-level BPE, SentencePiece). */
const NON_WORDPIECE_FILES = ['vocab.json', 'merges.txt', 'spiece.model', 'sentencepiece.bpe.model'];

/**
 * `model_max_length` values at or above this are transformers' "no limit" sentinel
 * (`VERY_LARGE_INTEGER = int(1e30)`), not a real limit.
 */
const NO_LIMIT = 1e15;

type SpecialKey = keyof TokenizerSettings['specialTokens'];
const SPECIAL_KEYS: readonly SpecialKey[] = ['unk', 'cls', 'sep', 'pad', 'mask'];
const SPECIAL_DEFAULTS: Readonly<Record<SpecialKey, string>> = {
  unk: '[UNK]',
  cls: '[CLS]',
  sep: '[SEP]',
  pad: '[PAD]',
  mask: '[MASK]',
};
const SPECIAL_NAMES: Readonly<Record<SpecialKey, string>> = {
  unk: 'unknown',
  cls: 'class',
  sep: 'separator',
  pad: 'padding',
  mask: 'mask',
};

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** A special token from a tokenizer config: a string or an AddedToken-like `{content: …}` object. */
function specialToken(fields: ConfigFields, key: SpecialKey): string | undefined {
  const field = `${key}_token`;
  const value = fields.raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (isJsonObject(value) && typeof value.content === 'string') return value.content;
  throw fields.error(field, 'expected a string or an object with a "content" string');
}

function modelMaxLength(fields: ConfigFields): number | undefined {
  if (!fields.has('model_max_length')) return undefined;
  const value = fields.raw.model_max_length;
  if (typeof value !== 'number' || !(value > 0)) {
    throw fields.error('model_max_length', `expected a positive number, got ${showJson(value)}`);
  }
  if (value >= NO_LIMIT) return undefined;
  if (!Number.isInteger(value)) throw fields.error('model_max_length', `expected an integer, got ${value}`);
  return value;
}

async function readConfigFields(file: string): Promise<ConfigFields | undefined> {
  const json = await readOptionalJsonFile(file);
  if (json === undefined) return undefined;
  if (!isJsonObject(json)) throw new ModelConfigError({ file }, 'expected a JSON object at the top level');
  return new ConfigFields(json, file);
}

/** added_tokens.json (slow tokenizers' extra tokens): every entry must already be in the vocabulary. */
async function checkAddedTokens(dir: string, vocab: readonly string[]): Promise<void> {
  const file = join(dir, 'added_tokens.json');
  const json = await readOptionalJsonFile(file);
  if (json === undefined) return;
  if (!isJsonObject(json)) throw new ModelConfigError({ file }, 'expected an object of token → id');
  for (const [token, id] of Object.entries(json)) {
    if (typeof id !== 'number' || vocab[id] !== token) {
      throw new VocabError(
        { file, field: token },
        `added token "${token}" (id ${showJson(id)}) is not in the vocabulary; samp does not support added tokens yet`,
      );
    }
  }
}

/**
 * Reads a model folder's WordPiece tokenizer settings: the vocabulary from `vocab.txt` (or, when there
 * is none, from `tokenizer.json`), normalisation flags and `model_max_length` from
 * `tokenizer_config.json`, and the special tokens, where `special_tokens_map.json` overrides
 * `tokenizer_config.json` as in transformers. Flags absent from `tokenizer_config.json` take the values
 * of `tokenizer.json`'s normalizer, else BertTokenizer's defaults (lower-casing on, accents follow
 * lower-casing, Chinese characters split). `model_max_length` at transformers' 1e30 sentinel is
 * treated as absent. See `parseVocabTxt` for how duplicate tokens resolve.
 * Returns `undefined` when the folder has no vocabulary file at all.
 *
 * @throws VocabError when the vocabulary is empty, lacks the unknown, class or separator token, has
 *   tokens added outside it, or belongs to a tokenizer other than WordPiece (BPE, SentencePiece:
 *   only WordPiece vocabularies are supported for now).
 * @throws ModelConfigError when a tokenizer JSON file is malformed or has a field of the wrong type.
 * @example
 * const settings = await readTokenizerSettings('/models/bert-base-uncased');
 * settings?.vocab.indexOf('[CLS]'); // 101
 */
export async function readTokenizerSettings(dir: string): Promise<TokenizerSettings | undefined> {
  const vocabTxt = join(dir, 'vocab.txt');
  const tokenizerJsonFile = join(dir, 'tokenizer.json');
  const [hasVocabTxt, hasTokenizerJson, tokenizerConfig, specialMap] = await Promise.all([
    exists(vocabTxt),
    exists(tokenizerJsonFile),
    readConfigFields(join(dir, 'tokenizer_config.json')),
    readConfigFields(join(dir, 'special_tokens_map.json')),
  ]);

  let vocabFile: string;
  let vocab: string[];
  let fromJson: ReturnType<typeof parseTokenizerJson> | undefined;
  if (hasVocabTxt) {
    vocabFile = vocabTxt;
    vocab = parseVocabTxt(await readFile(vocabTxt), vocabTxt);
    await checkAddedTokens(dir, vocab);
  } else if (hasTokenizerJson) {
    vocabFile = tokenizerJsonFile;
    fromJson = parseTokenizerJson(await readJsonFile(tokenizerJsonFile), tokenizerJsonFile);
    vocab = fromJson.vocab;
  } else {
    for (const name of NON_WORDPIECE_FILES) {
      const file = join(dir, name);
      if (await exists(file)) {
        throw new VocabError(
          { file },
          'only WordPiece vocabularies (vocab.txt, or tokenizer.json with a WordPiece model) are supported for now',
        );
      }
    }
    return undefined;
  }

  const cfg = tokenizerConfig ?? new ConfigFields({}, join(dir, 'tokenizer_config.json'));
  if (!cfg.boolean('do_basic_tokenize', true)) {
    throw cfg.error('do_basic_tokenize', 'samp always runs the basic tokenizer before WordPiece');
  }
  const doLowerCase = cfg.boolean('do_lower_case', fromJson?.lowercase ?? true);
  let stripAccents: boolean | undefined;
  if (cfg.has('strip_accents')) stripAccents = cfg.boolean('strip_accents', false);
  else stripAccents = 'strip_accents' in cfg.raw ? undefined : fromJson?.stripAccents;
  const tokenizeChineseChars = cfg.boolean('tokenize_chinese_chars', fromJson?.handleChineseChars ?? true);

  const fromTokenizerJson: Partial<Record<SpecialKey, string>> = {
    unk: fromJson?.unkToken,
    cls: fromJson?.cls,
    sep: fromJson?.sep,
  };
  const specialTokens = {} as Record<SpecialKey, string>;
  for (const key of SPECIAL_KEYS) {
    specialTokens[key] =
      (specialMap === undefined ? undefined : specialToken(specialMap, key)) ??
      specialToken(cfg, key) ??
      fromTokenizerJson[key] ??
      SPECIAL_DEFAULTS[key];
  }
  const known = new Set(vocab);
  for (const key of ['unk', 'cls', 'sep'] as const) {
    const token = specialTokens[key];
    if (!known.has(token)) {
      throw new VocabError(
        { file: vocabFile },
        `the ${SPECIAL_NAMES[key]} token "${token}" (${key}_token) is not in the vocabulary`,
      );
    }
  }

  return {
    vocabFile,
    vocab,
    doLowerCase,
    stripAccents,
    tokenizeChineseChars,
    cleanText: fromJson?.cleanText ?? true,
    modelMaxLength: modelMaxLength(cfg),
    specialTokens,
    continuingSubwordPrefix: fromJson?.continuingSubwordPrefix ?? '##',
    maxInputCharsPerWord: fromJson?.maxInputCharsPerWord ?? 100,
  };
}
