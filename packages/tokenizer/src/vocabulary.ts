import { VocabError } from './errors';

/**
 * A token vocabulary: tokens by id and ids by token. When a token occurs twice the later id wins,
 * as in Hugging Face's loaders (a dict filled in file order).
 *
 * @example
 * const vocab = Vocabulary.fromText('[PAD]\n[UNK]\nhello\n');
 * vocab.tokenToId('hello'); // 2
 */
export class Vocabulary {
  /** Tokens by id. */
  readonly tokens: readonly string[];
  /** Where the vocabulary came from (a file path), when known. */
  readonly source: string | undefined;
  private readonly index: Map<string, number>;

  constructor(tokens: readonly string[], source?: string) {
    if (!Array.isArray(tokens)) throw new VocabError('the vocabulary must be an array of strings', source);
    if (tokens.length === 0) throw new VocabError('the vocabulary is empty', source);
    const index = new Map<string, number>();
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (typeof t !== 'string') throw new VocabError(`token ${i} is not a string`, source);
      index.set(t, i);
    }
    this.tokens = tokens;
    this.index = index;
    this.source = source;
  }

  /**
   * Parses `vocab.txt` text: one token per line, ids in line order; a final newline does not add a token,
   * and a trailing `\r` is removed (CRLF files), as the Rust WordPiece loader does.
   */
  static fromText(text: string, source?: string): Vocabulary {
    if (typeof text !== 'string') throw new VocabError('vocabulary text must be a string', source);
    if (text.length === 0) throw new VocabError('the vocabulary file is empty', source);
    const lines = text.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i] as string;
      if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
    }
    return new Vocabulary(lines, source);
  }

  /** Builds a vocabulary from a token → id record (tokenizer.json's `model.vocab`); ids must be dense. */
  static fromRecord(record: Readonly<Record<string, number>>, source?: string): Vocabulary {
    const entries = Object.entries(record);
    const tokens: string[] = new Array(entries.length);
    for (const [token, id] of entries) {
      if (!Number.isInteger(id) || id < 0 || id >= entries.length) {
        throw new VocabError(
          `token ${JSON.stringify(token)} has id ${id}, outside 0..${entries.length - 1}`,
          source,
        );
      }
      tokens[id] = token;
    }
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i] === undefined) throw new VocabError(`no token has id ${i}`, source);
    }
    return new Vocabulary(tokens, source);
  }

  /** Number of ids. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of a token, or `undefined`. */
  tokenToId(token: string): number | undefined {
    return this.index.get(token);
  }

  /** The token of an id, or `undefined`. */
  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  /** The id of a token that must exist; throws a `VocabError` naming it otherwise. */
  require(token: string, role: string): number {
    const id = this.index.get(token);
    if (id === undefined)
      throw new VocabError(
        `the ${role} token ${JSON.stringify(token)} is not in the vocabulary`,
        this.source,
      );
    return id;
  }

  /** Iterates over `[token, id]` pairs (one per distinct token, with its winning id). */
  entries(): IterableIterator<[string, number]> {
    return this.index.entries();
  }
}
