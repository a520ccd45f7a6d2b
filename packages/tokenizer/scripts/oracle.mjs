// The reference: Hugging Face's `tokenizers` (Rust) through its npm binding, configured as
// transformers v5's BertTokenizer builds it (BertNormalizer, BertPreTokenizer, WordPiece,
// TemplateProcessing "[CLS] $A [SEP] ($B:1 [SEP]:1)", the five special tokens as non-normalized
// added tokens). Shared by make-goldens.mjs and the bench.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../package.json'));

/** Loads the binding (throws when the dev dependency is absent). */
export function loadOracle() {
  return require('tokenizers');
}

export const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** tokenizer.json text for a vocabulary (tokens by id) and a lowercase flag. */
export function bertTokenizerJson(tokens, lowercase) {
  const vocab = Object.create(null);
  tokens.forEach((t, i) => {
    vocab[t] = i;
  });
  const id = (t) => vocab[t];
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.filter((t) => id(t) !== undefined).map((t) => ({
      id: id(t),
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  });
}

/** Reads vocab.txt as transformers does (one token per line, final newline ignored). */
export function readVocabLines(text) {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * UTF-16 index of each code-point index of `s` (plus the end), counting a lone surrogate as one code
 * point: the binding turns it into U+FFFD, one char.
 */
export function cpToUtf16(s) {
  const map = [];
  let i = 0;
  while (i < s.length) {
    map.push(i);
    const c = s.charCodeAt(i);
    const d = s.charCodeAt(i + 1);
    i += c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
  }
  map.push(s.length);
  return map;
}

const STRATEGY = { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' };

function setTruncation(tokenizer, c) {
  if (c.max_length === undefined) {
    tokenizer.disableTruncation();
    return;
  }
  tokenizer.setTruncation(c.max_length, {
    strategy: STRATEGY[c.truncation ?? 'longest_first'],
    stride: c.stride ?? 0,
    direction: c.truncation_side === 'left' ? 'left' : 'right',
  });
}

// `fixPairTypes`: `encode` tokenizes the second text with type id 1 and the template only re-types the
// kept windows, so overflowing windows of the second text keep type id 1. Going through `postProcess`
// with a separately encoded second text (type id 0) loses that, so restore it.
function record(c, enc, fixPairTypes = false) {
  const maps = [cpToUtf16(c.text), c.text_pair === undefined ? null : cpToUtf16(c.text_pair)];
  const conv = (e) => {
    const seq = e.getSequenceIds();
    const types = e.getTypeIds();
    return {
      input_ids: e.getIds(),
      token_type_ids: fixPairTypes ? types.map((t, k) => (seq[k] === 1 ? 1 : t)) : types,
      tokens: e.getTokens(),
      offsets: e.getOffsets().map(([s, t], k) => {
        const m = seq[k] === null || seq[k] === undefined ? null : maps[seq[k]];
        return m === null ? [s, t] : [m[s], m[t]];
      }),
    };
  };
  const rec = conv(enc);
  if (c.return_overflowing) rec.overflowing = enc.getOverflowing().map(conv);
  return rec;
}

const errorOf = (e) => ({ error: String(e?.message ?? e) });

/**
 * Encodes one case with the oracle and returns the golden record (offsets in UTF-16 code units).
 * Main fields: tokenizers' truncation applied to the fully tokenized texts (the 0.22 behaviour, through
 * `postProcess`). `early_exit` (cases with max_length only): a plain `encode` of the 0.23 binding, whose
 * truncation stops tokenizing at max_length tokens (huggingface/tokenizers#1990, #2091).
 */
export async function oracleEncode(tokenizer, c) {
  tokenizer.disableTruncation();
  let main;
  try {
    const a = await tokenizer.encode(c.text, null, { addSpecialTokens: false });
    const b =
      c.text_pair === undefined
        ? null
        : await tokenizer.encode(c.text_pair, null, { addSpecialTokens: false });
    setTruncation(tokenizer, c);
    main = record(c, tokenizer.postProcess(a, b, true), true);
  } catch (e) {
    main = errorOf(e);
  }
  const rec = { id: c.id, ...main };
  if (c.max_length !== undefined) {
    setTruncation(tokenizer, c);
    try {
      const enc =
        c.text_pair === undefined
          ? await tokenizer.encode(c.text)
          : await tokenizer.encode(c.text, c.text_pair);
      rec.early_exit = record(c, enc);
    } catch (e) {
      rec.early_exit = errorOf(e);
    }
    tokenizer.disableTruncation();
  }
  return rec;
}
