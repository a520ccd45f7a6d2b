import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenizerSettings } from '@samp/core';
import type { PostTemplate, TemplatePiece } from './encoding';
import { TokenizerConfigError, VocabError } from './errors';
import { Vocabulary } from './vocabulary';
import {
  type AddedTokenInit,
  type SpecialTokens,
  type WordPieceOptions,
  WordPieceTokenizer,
} from './wordpiece/wordpiece-tokenizer';

/** Reads `vocab.txt` and builds a WordPiece tokenizer (BERT defaults unless options say otherwise). */
export async function fromVocabFile(
  file: string,
  options: WordPieceOptions = {},
): Promise<WordPieceTokenizer> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new VocabError(`cannot read the vocabulary: ${(e as Error).message}`, file, { cause: e });
  }
  return new WordPieceTokenizer(Vocabulary.fromText(text, file), options);
}

/** Builds a WordPiece tokenizer from an in-memory vocabulary: tokens by id, or `vocab.txt` text. */
export function fromVocab(
  vocab: readonly string[] | string,
  options: WordPieceOptions = {},
): WordPieceTokenizer {
  return new WordPieceTokenizer(
    typeof vocab === 'string' ? Vocabulary.fromText(vocab) : new Vocabulary(vocab),
    options,
  );
}

/** Builds a tokenizer from settings shaped as `@samp/core`'s `TokenizerSettings` (core's model-folder reader). */
export function fromSettings(
  settings: TokenizerSettings,
  overrides: WordPieceOptions = {},
): WordPieceTokenizer {
  if (typeof settings !== 'object' || settings === null || !Array.isArray(settings.vocab)) {
    throw new TokenizerConfigError('<settings>', 'expected TokenizerSettings with a vocab array', 'vocab');
  }
  return new WordPieceTokenizer(new Vocabulary(settings.vocab, settings.vocabFile), {
    lowercase: settings.doLowerCase,
    stripAccents: settings.stripAccents,
    handleChineseChars: settings.tokenizeChineseChars,
    cleanText: settings.cleanText ?? true,
    specialTokens: settings.specialTokens,
    continuingSubwordPrefix: settings.continuingSubwordPrefix,
    maxInputCharsPerWord: settings.maxInputCharsPerWord,
    modelMaxLength: settings.modelMaxLength,
    ...overrides,
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new TokenizerConfigError(file, `cannot read: ${(e as Error).message}`, undefined, { cause: e });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new TokenizerConfigError(file, `not valid JSON: ${(e as Error).message}`, undefined, { cause: e });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new TokenizerConfigError(file, 'expected a JSON object');
  return v as Record<string, unknown>;
}

/** A special-token entry of tokenizer_config.json / special_tokens_map.json: a string or `{ content }`. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return undefined;
}

function optBool(file: string, obj: Record<string, unknown>, key: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean')
    throw new TokenizerConfigError(file, `expected a boolean, got ${JSON.stringify(v)}`, key);
  return v;
}

function parseTemplate(
  file: string,
  pp: Record<string, unknown>,
  vocab: Vocabulary,
): PostTemplate | undefined {
  if (pp.type === 'BertProcessing') {
    const cls = pp.cls as [string, number] | undefined;
    const sep = pp.sep as [string, number] | undefined;
    if (!Array.isArray(cls) || !Array.isArray(sep))
      throw new TokenizerConfigError(file, 'BertProcessing needs cls and sep', 'post_processor');
    return undefined === cls ? undefined : bertLike(cls[1], sep[1]);
  }
  if (pp.type !== 'TemplateProcessing') {
    throw new TokenizerConfigError(
      file,
      `unsupported post-processor ${JSON.stringify(pp.type)}`,
      'post_processor.type',
    );
  }
  const specials = (pp.special_tokens ?? {}) as Record<string, { ids?: number[] }>;
  const pieces = (list: unknown, field: string): TemplatePiece[] => {
    if (!Array.isArray(list))
      throw new TokenizerConfigError(file, 'expected an array', `post_processor.${field}`);
    return list.map((p: Record<string, { id: string; type_id: number }>) => {
      if (p.Sequence !== undefined) {
        return {
          kind: 'sequence',
          sequence: p.Sequence.id === 'B' ? 1 : 0,
          typeId: p.Sequence.type_id,
        } as const;
      }
      if (p.SpecialToken !== undefined) {
        const name = p.SpecialToken.id;
        const ids =
          specials[name]?.ids ??
          (vocab.tokenToId(name) === undefined ? undefined : [vocab.tokenToId(name) as number]);
        if (ids === undefined)
          throw new TokenizerConfigError(
            file,
            `special token ${JSON.stringify(name)} has no id`,
            `post_processor.${field}`,
          );
        return { kind: 'special', ids, typeId: p.SpecialToken.type_id } as const;
      }
      throw new TokenizerConfigError(file, 'unknown template piece', `post_processor.${field}`);
    });
  };
  return { single: pieces(pp.single, 'single'), pair: pieces(pp.pair, 'pair') };
}

function bertLike(clsId: number, sepId: number): PostTemplate {
  return {
    single: [
      { kind: 'special', ids: [clsId], typeId: 0 },
      { kind: 'sequence', sequence: 0, typeId: 0 },
      { kind: 'special', ids: [sepId], typeId: 0 },
    ],
    pair: [
      { kind: 'special', ids: [clsId], typeId: 0 },
      { kind: 'sequence', sequence: 0, typeId: 0 },
      { kind: 'special', ids: [sepId], typeId: 0 },
      { kind: 'sequence', sequence: 1, typeId: 1 },
      { kind: 'special', ids: [sepId], typeId: 1 },
    ],
  };
}

/**
 * Loads the tokenizer of a Hugging Face model folder: `vocab.txt` (or `tokenizer.json`'s WordPiece model),
 * settings from `tokenizer_config.json` (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`,
 * `model_max_length`, special tokens), `special_tokens_map.json`, and from `tokenizer.json` its normalizer,
 * added tokens and post-processor. `overrides` win over the files.
 *
 * @example
 * const tok = await fromModelDir('models/bert-base-chinese');
 */
export async function fromModelDir(
  dir: string,
  overrides: WordPieceOptions = {},
): Promise<WordPieceTokenizer> {
  const configFile = join(dir, 'tokenizer_config.json');
  const mapFile = join(dir, 'special_tokens_map.json');
  const vocabFile = join(dir, 'vocab.txt');
  const jsonFile = join(dir, 'tokenizer.json');
  const config = (await exists(configFile)) ? await readJson(configFile) : {};
  const map = (await exists(mapFile)) ? await readJson(mapFile) : {};
  const hasVocab = await exists(vocabFile);
  const tj = (await exists(jsonFile)) ? await readJson(jsonFile) : undefined;
  if (!hasVocab && tj === undefined) {
    throw new TokenizerConfigError(dir, 'no vocab.txt and no tokenizer.json in the model folder');
  }
  const options: {
    -readonly [K in keyof WordPieceOptions]: WordPieceOptions[K];
  } = {};
  let vocab: Vocabulary;
  if (tj !== undefined) {
    const model = tj.model as Record<string, unknown> | undefined;
    if (typeof model !== 'object' || model === null)
      throw new TokenizerConfigError(jsonFile, 'missing model', 'model');
    if (model.type !== undefined && model.type !== 'WordPiece') {
      throw new TokenizerConfigError(
        jsonFile,
        `only WordPiece models are supported, got ${JSON.stringify(model.type)}`,
        'model.type',
      );
    }
    if (typeof model.unk_token === 'string') options.specialTokens = { unk: model.unk_token };
    if (typeof model.continuing_subword_prefix === 'string')
      options.continuingSubwordPrefix = model.continuing_subword_prefix;
    if (typeof model.max_input_chars_per_word === 'number')
      options.maxInputCharsPerWord = model.max_input_chars_per_word;
    const norm = tj.normalizer as Record<string, unknown> | null | undefined;
    if (norm !== null && norm !== undefined) {
      if (norm.type !== 'BertNormalizer') {
        throw new TokenizerConfigError(
          jsonFile,
          `only BertNormalizer is supported, got ${JSON.stringify(norm.type)}`,
          'normalizer.type',
        );
      }
      options.cleanText = optBool(jsonFile, norm, 'clean_text');
      options.handleChineseChars = optBool(jsonFile, norm, 'handle_chinese_chars');
      options.stripAccents = optBool(jsonFile, norm, 'strip_accents');
      options.lowercase = optBool(jsonFile, norm, 'lowercase');
    }
    const pre = tj.pre_tokenizer as Record<string, unknown> | null | undefined;
    if (pre !== null && pre !== undefined && pre.type !== 'BertPreTokenizer') {
      throw new TokenizerConfigError(
        jsonFile,
        `only BertPreTokenizer is supported, got ${JSON.stringify(pre.type)}`,
        'pre_tokenizer.type',
      );
    }
    if (hasVocab) vocab = Vocabulary.fromText(await readFile(vocabFile, 'utf8'), vocabFile);
    else {
      if (typeof model.vocab !== 'object' || model.vocab === null)
        throw new TokenizerConfigError(jsonFile, 'missing vocab', 'model.vocab');
      vocab = Vocabulary.fromRecord(model.vocab as Record<string, number>, jsonFile);
    }
    if (Array.isArray(tj.added_tokens)) {
      options.addedTokens = (tj.added_tokens as Record<string, unknown>[]).map(
        (t): AddedTokenInit => ({
          content: String(t.content),
          id: typeof t.id === 'number' ? t.id : undefined,
          special: t.special === true,
          normalized: t.normalized === true,
          lstrip: t.lstrip === true,
          rstrip: t.rstrip === true,
          singleWord: t.single_word === true,
        }),
      );
    }
    const pp = tj.post_processor as Record<string, unknown> | null | undefined;
    if (pp !== null && pp !== undefined) options.template = parseTemplate(jsonFile, pp, vocab);
  } else {
    vocab = Vocabulary.fromText(await readFile(vocabFile, 'utf8'), vocabFile);
  }
  const lower = optBool(configFile, config, 'do_lower_case');
  if (lower !== undefined) options.lowercase = lower;
  const strip = optBool(configFile, config, 'strip_accents');
  if (strip !== undefined) options.stripAccents = strip;
  const chinese = optBool(configFile, config, 'tokenize_chinese_chars');
  if (chinese !== undefined) options.handleChineseChars = chinese;
  const mml = config.model_max_length;
  if (typeof mml === 'number' && Number.isInteger(mml) && mml > 0 && mml < 1e7) options.modelMaxLength = mml;
  const special: { -readonly [K in keyof SpecialTokens]?: string } = { ...(options.specialTokens ?? {}) };
  for (const role of ['unk', 'cls', 'sep', 'pad', 'mask'] as const) {
    const t = tokenText(config[`${role}_token`]) ?? tokenText(map[`${role}_token`]);
    if (t !== undefined) special[role] = t;
  }
  options.specialTokens = special;
  return new WordPieceTokenizer(vocab, { ...options, ...overrides });
}
