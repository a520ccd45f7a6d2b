import { TokenizerError, TokenizerOptionError, TokenizerPoolError } from './errors';
import { CharTokenizer } from './lookup/char-tokenizer';
import {
  createJiebaSegmenter,
  IntlSegmenter,
  type JiebaLike,
  type Segmenter,
  type SegmenterSpec,
  WhitespaceSegmenter,
} from './lookup/segmenter';
import { WordTokenizer } from './lookup/word-tokenizer';
import type { BaseTokenizer, TokenizerSpec } from './tokenizer';
import { Vocabulary } from './vocabulary';
import { WordPieceTokenizer } from './wordpiece/wordpiece-tokenizer';

/** Rebuilds a segmenter from its spec; jieba is imported only here, and only when a spec asks for it. */
export async function segmenterFromSpec(spec: SegmenterSpec): Promise<Segmenter> {
  if (spec.kind === 'intl') return new IntlSegmenter(spec.locale);
  if (spec.kind === 'whitespace') return new WhitespaceSegmenter();
  if (spec.kind === 'jieba') {
    type JiebaModule = { Jieba: { withDict(dict: Uint8Array): JiebaLike } };
    let mod: JiebaModule;
    let dict = spec.dict;
    try {
      // CommonJS packages: named exports under ESM, or only `default` depending on the loader.
      const m = (await import('@node-rs/jieba')) as unknown as JiebaModule & { default?: JiebaModule };
      mod = m.Jieba === undefined ? (m.default as JiebaModule) : m;
      if (dict === undefined) {
        const d = (await import('@node-rs/jieba/dict.js')) as {
          dict?: Uint8Array;
          default?: { dict: Uint8Array };
        };
        dict = d.dict ?? d.default?.dict;
      }
      if (dict === undefined) throw new Error('@node-rs/jieba/dict.js has no dict export');
    } catch (e) {
      throw new TokenizerPoolError(
        'the jieba segmenter needs the optional peer @node-rs/jieba, which cannot be loaded',
        {
          cause: e,
        },
      );
    }
    return createJiebaSegmenter(mod.Jieba.withDict(dict), { hmm: spec.hmm, dict: spec.dict });
  }
  throw new TokenizerOptionError(
    'segmenter',
    `unknown segmenter kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`,
  );
}

/**
 * Rebuilds a tokenizer from `tokenizer.toSpec()` (what a worker thread of the pool does).
 *
 * @example
 * const copy = await tokenizerFromSpec(tokenizer.toSpec());
 */
export async function tokenizerFromSpec(spec: TokenizerSpec): Promise<BaseTokenizer> {
  if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.vocab)) {
    throw new TokenizerOptionError('spec', 'expected { kind, vocab: string[], options }');
  }
  const vocab = new Vocabulary(spec.vocab);
  const o = (spec.options ?? {}) as Record<string, unknown>;
  switch (spec.kind) {
    case 'wordpiece':
      return new WordPieceTokenizer(vocab, o);
    case 'char':
      return new CharTokenizer(vocab, o);
    case 'word': {
      const segSpec = o.segmenter as SegmenterSpec | null | undefined;
      if (segSpec === null) {
        throw new TokenizerPoolError(
          'the word tokenizer has a custom segmenter without toSpec(): it cannot be rebuilt in a worker',
        );
      }
      const segmenter = segSpec === undefined ? undefined : await segmenterFromSpec(segSpec);
      return new WordTokenizer(vocab, { ...o, segmenter });
    }
    default:
      throw new TokenizerOptionError('spec.kind', `unknown tokenizer kind ${JSON.stringify(spec.kind)}`);
  }
}

/** Structured-cloneable form of an error, to cross a thread boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly fields?: Record<string, unknown>;
}

export function serializeError(e: unknown): SerializedError {
  if (TokenizerError.isInstance(e)) {
    const fields: Record<string, unknown> = {};
    for (const k of ['option', 'index', 'file', 'field'] as const) {
      const v = (e as unknown as Record<string, unknown>)[k];
      if (v !== undefined) fields[k] = v;
    }
    return { name: e.name, message: e.message, code: e.code, fields };
  }
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}
