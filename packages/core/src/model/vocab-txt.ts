import { VocabError } from '../errors/model-errors';

/**
 * Parses the bytes of a WordPiece `vocab.txt`: one token per line, the id of a token being its line
 * index. Lines end in `\n`, `\r\n` or `\r` (Python's universal newlines, which transformers'
 * `load_vocab` reads with); text after the last line break is a token, an empty remainder is not.
 * Empty lines before the end are tokens (the empty string), as they are for transformers.
 * A token listed twice keeps both ids in the returned array; a token → id map built from it in order
 * gives the LAST id, exactly as `load_vocab` (an OrderedDict assigned line by line) does.
 *
 * @throws VocabError when the file is empty or not valid UTF-8.
 */
export function parseVocabTxt(bytes: Uint8Array, file: string): string[] {
  let text: string;
  try {
    // Python opens vocab.txt as utf-8 (not utf-8-sig): a byte-order mark stays part of the first token.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new VocabError({ file }, 'is not valid UTF-8', { cause: error });
  }
  const tokens = text.split(/\r\n|\r|\n/);
  if (tokens[tokens.length - 1] === '') tokens.pop();
  if (tokens.length === 0)
    throw new VocabError({ file }, 'the vocabulary is empty (expected one token per line)');
  return tokens;
}
