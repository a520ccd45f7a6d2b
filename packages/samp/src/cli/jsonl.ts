import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '@samp/core';
import type { CommandIo } from './command';

/** A JSON Lines source: its lines in order, and the name errors give it (the file, or `<stdin>`). */
export interface LineSource {
  readonly name: string;
  readonly lines: AsyncIterable<string>;
  /** Stops reading (after an error); idempotent. */
  close(): void;
}

/**
 * Opens `path` (resolved against `io.cwd`), or stdin when `path` is undefined, for reading line by line.
 * @param option the option that named the file, for the error when it cannot be read.
 * @throws InvalidArgumentError naming the option and the file when it cannot be opened.
 */
export async function openLines(
  path: string | undefined,
  io: CommandIo,
  option = '--input',
): Promise<LineSource> {
  let input: Readable = io.stdin;
  let name = '<stdin>';
  if (path !== undefined) {
    const file = resolve(io.cwd, path);
    name = path;
    const stream = createReadStream(file, { encoding: 'utf8' });
    await new Promise<void>((res, rej) => {
      stream.once('open', () => res());
      stream.once('error', (e) => rej(new InvalidArgumentError(option, `cannot read ${file}: ${e.message}`)));
    });
    input = stream;
  }
  // The line reader is created when iteration starts: readline drops the lines (and the end) it reads
  // before a `for await` asks for them, and callers may load a model between opening and reading.
  let reader: ReturnType<typeof createInterface> | undefined;
  let closed = false;
  return {
    name,
    lines: {
      [Symbol.asyncIterator]() {
        reader ??= createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
        return reader[Symbol.asyncIterator]();
      },
    },
    close() {
      if (closed) return;
      closed = true;
      reader?.close();
      if (input !== io.stdin) input.destroy();
    },
  };
}

/**
 * Parses one line as a JSON object.
 * @param where `FILE line N`, the start of every error message.
 * @param expected what the object should look like, for the error when the line is not an object.
 * @throws InvalidArgumentError naming `where` for malformed JSON or a non-object.
 */
export function parseJsonObject(line: string, where: string, expected: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new InvalidArgumentError(where, `malformed JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InvalidArgumentError(where, `expected a JSON object ${expected}`);
  return v as Record<string, unknown>;
}

/** A `{"text", "text_pair"?}` line's texts. */
export interface TextLine {
  readonly text: string;
  readonly pair: string | undefined;
}

/**
 * Reads `text` and the optional `text_pair` of a parsed line (other fields are left to the caller).
 * @throws InvalidArgumentError naming `where` and the field.
 */
export function readTextFields(o: Record<string, unknown>, where: string): TextLine {
  if (!('text' in o)) throw new InvalidArgumentError(where, 'missing field "text" (expected a string)');
  if (typeof o.text !== 'string') throw new InvalidArgumentError(where, 'field "text" must be a string');
  if (o.text_pair !== undefined && o.text_pair !== null && typeof o.text_pair !== 'string')
    throw new InvalidArgumentError(where, 'field "text_pair" must be a string');
  return { text: o.text, pair: typeof o.text_pair === 'string' ? o.text_pair : undefined };
}

/** Parses a `{"text": str, "text_pair"?: str}` line. */
export function readTextLine(line: string, where: string): TextLine {
  return readTextFields(parseJsonObject(line, where, '{"text": string, "text_pair"?: string}'), where);
}

/** A line sink: stdout, or a temp file renamed into place on success. */
export interface Sink {
  write(s: string): Promise<void>;
  /** Finishes the output (renames the temp file into place). */
  commit(): Promise<void>;
  /** Drops the output: the temp file is removed, nothing is left behind. */
  abort(): Promise<void>;
}

/** Writes to the command's stdout, waiting for it to drain. */
export function stdoutSink(io: CommandIo): Sink {
  return {
    write: (s) =>
      new Promise<void>((res, rej) => {
        if (io.stdout.write(s)) res();
        else {
          io.stdout.once('drain', res);
          io.stdout.once('error', rej);
        }
      }),
    commit: async () => {},
    abort: async () => {},
  };
}

/**
 * Writes to a temp file next to `path` (buffered), renamed to `path` on commit and removed on abort, so
 * a failed run never leaves a partial file.
 * @throws InvalidArgumentError naming `--output` when the folder cannot be written.
 */
export async function fileSink(path: string): Promise<Sink> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  const fh = await open(tmp, 'w').catch((e: Error) => {
    throw new InvalidArgumentError('--output', `cannot write ${path}: ${e.message}`);
  });
  let buffered: string[] = [];
  let size = 0;
  const flush = async (): Promise<void> => {
    if (buffered.length === 0) return;
    const chunk = buffered.join('');
    buffered = [];
    size = 0;
    await fh.write(chunk);
  };
  return {
    write: async (s) => {
      buffered.push(s);
      size += s.length;
      if (size > 1 << 20) await flush();
    },
    commit: async () => {
      await flush();
      await fh.close();
      await rename(tmp, path);
    },
    abort: async () => {
      await fh.close().catch(() => {});
      await rm(tmp, { force: true });
    },
  };
}

/** `--output FILE` (resolved against `io.cwd`, written atomically), or stdout. */
export function openSink(path: string | undefined, io: CommandIo): Promise<Sink> {
  return path === undefined ? Promise.resolve(stdoutSink(io)) : fileSink(resolve(io.cwd, path));
}
