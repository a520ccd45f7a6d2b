import { readFile } from 'node:fs/promises';
import { ModelConfigError, ModelFileNotFoundError } from '../errors/model-errors';

/** Where a JSON syntax error is: 0-based offset, 1-based line and column. */
export interface JsonErrorPosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** Deepest nesting `locateJsonError` follows (each level is a stack frame). */
const MAX_LOCATE_DEPTH = 2000;
const TOO_DEEP = Symbol('too deep');

/**
 * `JSON.stringify(value)` for error messages, safe on anything `JSON.parse` returns: JSON.parse is
 * not recursive but JSON.stringify is, so a value nested a few thousand levels deep (a few kilobytes of
 * `[[[[…]]]]` in a file) overflowed the stack in the message of the error meant to report it (found by
 * fuzzing). Such values are described instead, and long texts are cut at `max` characters.
 */
export function showJson(value: unknown, max = 200): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    return Array.isArray(value) ? 'an array nested too deeply to show' : 'a value nested too deeply to show';
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Finds the offset of the first JSON syntax error in `text`, or `undefined` when it is valid JSON.
 * V8's `JSON.parse` messages only sometimes carry a position, so it is recomputed here; this only runs
 * after `JSON.parse` has already failed.
 */
export function locateJsonError(text: string): JsonErrorPosition | undefined {
  let i = 0;
  // The scanner recurses once per nesting level; JSON.parse does not, so a file can hold `[[[[…` deeper
  // than the stack (found by fuzzing: a RangeError escaped instead of a ModelConfigError). Past this
  // depth the position is simply not reported.
  let depth = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text.charAt(i) !== ch) fail();
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail();
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        return;
      }
      if (ch < 0x20) fail();
      if (ch === 0x5c) {
        i++;
        const esc = text.charAt(i);
        if (esc === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text.charAt(i))) fail();
        } else if (esc !== '' && '"\\/bfnrt'.includes(esc)) i++;
        else fail();
      } else i++;
    }
  };
  const number = () => {
    if (text.charAt(i) === '-') i++;
    if (text.charAt(i) === '0') i++;
    else if (/[1-9]/.test(text.charAt(i))) while (/[0-9]/.test(text.charAt(i))) i++;
    else fail();
    if (text.charAt(i) === '.') {
      i++;
      if (!/[0-9]/.test(text.charAt(i))) fail();
      while (/[0-9]/.test(text.charAt(i))) i++;
    }
    if (text.charAt(i) === 'e' || text.charAt(i) === 'E') {
      i++;
      if (text.charAt(i) === '+' || text.charAt(i) === '-') i++;
      if (!/[0-9]/.test(text.charAt(i))) fail();
      while (/[0-9]/.test(text.charAt(i))) i++;
    }
  };
  const value = (): void => {
    ws();
    const ch = text.charAt(i);
    if ((ch === '{' || ch === '[') && ++depth > MAX_LOCATE_DEPTH) throw TOO_DEEP;
    if (ch === '{') {
      i++;
      ws();
      if (text.charAt(i) === '}') {
        i++;
        depth--;
        return;
      }
      for (;;) {
        ws();
        if (text.charAt(i) !== '"') fail();
        string();
        ws();
        if (text.charAt(i) !== ':') fail();
        i++;
        value();
        ws();
        if (text.charAt(i) === ',') i++;
        else if (text.charAt(i) === '}') {
          i++;
          depth--;
          return;
        } else fail();
      }
    } else if (ch === '[') {
      i++;
      ws();
      if (text.charAt(i) === ']') {
        i++;
        depth--;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text.charAt(i) === ',') i++;
        else if (text.charAt(i) === ']') {
          i++;
          depth--;
          return;
        } else fail();
      }
    } else if (ch === '"') string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return undefined;
  } catch (offset) {
    if (offset === TOO_DEEP) return undefined;
    if (typeof offset !== 'number') throw offset;
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - (before.lastIndexOf('\n') + 1) + 1;
    return { offset, line, column };
  }
}

/**
 * Parses the text of a model JSON file, throwing a `ModelConfigError` with the parser's message and
 * the line, column and offset of the error.
 */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const where = locateJsonError(text);
    const position =
      where === undefined ? '' : ` at line ${where.line}, column ${where.column} (position ${where.offset})`;
    const message = error instanceof Error ? error.message : String(error);
    throw new ModelConfigError({ file }, `is not valid JSON${position}: ${message}`, { cause: error });
  }
}

/**
 * Reads and parses a JSON file of a model folder.
 * A missing file is a `ModelFileNotFoundError`; malformed JSON a `ModelConfigError` (see `parseJsonText`).
 */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ModelFileNotFoundError({ file }, 'the file does not exist', { cause: error });
    }
    throw new ModelConfigError({ file }, `cannot be read: ${(error as Error).message}`, { cause: error });
  }
  // A UTF-8 byte-order mark is not JSON, but Python's json.load of such a file is the only reader that
  // would refuse it; transformers' own writers never emit one, editors on Windows sometimes do.
  return parseJsonText(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file);
}

/** Like `readJsonFile`, but `undefined` when the file does not exist (optional files). */
export async function readOptionalJsonFile(file: string): Promise<unknown> {
  try {
    return await readJsonFile(file);
  } catch (error) {
    if (error instanceof ModelFileNotFoundError) return undefined;
    throw error;
  }
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
