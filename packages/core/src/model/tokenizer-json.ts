import { VocabError } from '../errors/model-errors';
// showJson: JSON.stringify of a deeply nested value overflows the stack (see its comment).
import { isJsonObject, showJson } from './json-file';

/** What a Hugging Face `tokenizer.json` with a WordPiece model says about the tokenizer. */
export interface TokenizerJsonSettings {
  /** Tokens by id. */
  readonly vocab: string[];
  readonly unkToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  readonly lowercase: boolean;
  /** `undefined`: follow `lowercase` (BertNormalizer's `strip_accents: null`). */
  readonly stripAccents: boolean | undefined;
  readonly handleChineseChars: boolean;
  readonly cleanText: boolean;
  /** The class and separator tokens the post-processor inserts, when it says. */
  readonly cls: string | undefined;
  readonly sep: string | undefined;
}

interface Normalization {
  lowercase: boolean;
  stripAccents: boolean | undefined;
  handleChineseChars: boolean;
  cleanText: boolean;
}

function normalization(value: unknown, file: string): Normalization {
  const unsupported = (type: unknown) =>
    new VocabError(
      { file, field: 'normalizer' },
      `normalizer ${showJson(type)} is not supported (expected BertNormalizer, Lowercase, or NFD with StripAccents)`,
    );
  const result: Normalization = {
    lowercase: false,
    stripAccents: false,
    handleChineseChars: false,
    cleanText: false,
  };
  if (value === null || value === undefined) return result;
  const list = isJsonObject(value) && value.type === 'Sequence' ? value.normalizers : [value];
  if (!Array.isArray(list))
    throw new VocabError({ file, field: 'normalizer.normalizers' }, 'expected an array');
  const types = list.map((n) => (isJsonObject(n) ? n.type : undefined));
  for (const n of list) {
    if (!isJsonObject(n)) throw new VocabError({ file, field: 'normalizer' }, 'expected an object');
    switch (n.type) {
      case 'BertNormalizer':
        result.cleanText = n.clean_text !== false;
        result.handleChineseChars = n.handle_chinese_chars !== false;
        result.lowercase = n.lowercase !== false;
        result.stripAccents = typeof n.strip_accents === 'boolean' ? n.strip_accents : undefined;
        break;
      case 'Lowercase':
        result.lowercase = true;
        break;
      case 'StripAccents':
        result.stripAccents = true;
        break;
      // NFD only matters as StripAccents' first step (BertNormalizer's strip_accents does both); alone it
      // would leave decomposed characters, which samp does not reproduce.
      case 'NFD':
        if (!types.includes('StripAccents')) throw unsupported(n.type);
        break;
      default:
        throw unsupported(n.type);
    }
  }
  return result;
}

function specialTokenOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  if (isJsonObject(value) && isJsonObject(value.SpecialToken) && typeof value.SpecialToken.id === 'string') {
    return value.SpecialToken.id;
  }
  return undefined;
}

/** `[CLS]` and `[SEP]` from a BertProcessing or TemplateProcessing post-processor. */
function clsAndSep(post: unknown): { cls: string | undefined; sep: string | undefined } {
  if (!isJsonObject(post)) return { cls: undefined, sep: undefined };
  if (post.type === 'BertProcessing') return { cls: specialTokenOf(post.cls), sep: specialTokenOf(post.sep) };
  if (post.type === 'TemplateProcessing' && Array.isArray(post.single)) {
    const first = post.single[0];
    const last = post.single[post.single.length - 1];
    return { cls: specialTokenOf(first), sep: specialTokenOf(last) };
  }
  return { cls: undefined, sep: undefined };
}

function vocabArray(vocab: unknown, file: string): string[] {
  if (!isJsonObject(vocab))
    throw new VocabError({ file, field: 'model.vocab' }, 'expected an object of token → id');
  const entries = Object.entries(vocab);
  if (entries.length === 0) throw new VocabError({ file, field: 'model.vocab' }, 'the vocabulary is empty');
  const tokens: (string | undefined)[] = new Array(entries.length).fill(undefined);
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length) {
      throw new VocabError(
        { file, field: `model.vocab.${token}` },
        `expected an id in 0…${entries.length - 1} (ids must be contiguous), got ${showJson(id)}`,
      );
    }
    const other = tokens[id];
    if (other !== undefined) {
      throw new VocabError({ file, field: `model.vocab.${token}` }, `id ${id} is also the id of "${other}"`);
    }
    tokens[id] = token;
  }
  return tokens as string[];
}

/**
 * Reads the WordPiece settings of a parsed `tokenizer.json`: vocabulary, unknown token, continuation
 * prefix, word length limit, the BertNormalizer flags (also inside a `Sequence`), and the class and
 * separator tokens of its post-processor.
 *
 * @throws VocabError when the model is not WordPiece (only WordPiece vocabularies are supported for
 *   now), the vocabulary is empty or its ids are not 0…n-1, the normalizer is one samp does not
 *   reproduce, or an added token is not part of the vocabulary.
 */
export function parseTokenizerJson(json: unknown, file: string): TokenizerJsonSettings {
  if (!isJsonObject(json)) throw new VocabError({ file }, 'expected a JSON object at the top level');
  const model = json.model;
  if (!isJsonObject(model)) throw new VocabError({ file, field: 'model' }, 'expected an object');
  const type = model.type ?? ('continuing_subword_prefix' in model ? 'WordPiece' : undefined);
  if (type !== 'WordPiece') {
    throw new VocabError(
      { file, field: 'model.type' },
      `only WordPiece vocabularies are supported for now; this tokenizer is ${showJson(type ?? 'of an unknown type')}`,
    );
  }
  const vocab = vocabArray(model.vocab, file);
  const str = (field: string, fallback: string): string => {
    const v = model[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') throw new VocabError({ file, field: `model.${field}` }, 'expected a string');
    return v;
  };
  const maxChars = model.max_input_chars_per_word ?? 100;
  if (typeof maxChars !== 'number' || !Number.isInteger(maxChars) || maxChars < 1) {
    throw new VocabError({ file, field: 'model.max_input_chars_per_word' }, 'expected a positive integer');
  }
  const addedTokens = json.added_tokens ?? [];
  if (!Array.isArray(addedTokens)) throw new VocabError({ file, field: 'added_tokens' }, 'expected an array');
  for (const added of addedTokens) {
    if (!isJsonObject(added) || typeof added.content !== 'string' || typeof added.id !== 'number') {
      throw new VocabError({ file, field: 'added_tokens' }, 'expected objects with "id" and "content"');
    }
    if (vocab[added.id] !== added.content) {
      throw new VocabError(
        { file, field: 'added_tokens' },
        `added token "${added.content}" (id ${added.id}) is not in the WordPiece vocabulary; samp does not support added tokens yet`,
      );
    }
  }
  return {
    vocab,
    unkToken: str('unk_token', '[UNK]'),
    continuingSubwordPrefix: str('continuing_subword_prefix', '##'),
    maxInputCharsPerWord: maxChars,
    ...normalization(json.normalizer, file),
    ...clsAndSep(json.post_processor),
  };
}
