import { PassThrough, Readable } from 'node:stream';
import type { CommandIo } from '../../src/cli/command';

/** In-memory streams for running a command in-process; `out()`/`err()` return what was written. */
export function memoryIo(stdinText = '', cwd = process.cwd()): CommandIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.out.push(c));
  stderr.on('data', (c: Buffer) => chunks.err.push(c));
  return {
    stdin: Readable.from([stdinText]),
    stdout,
    stderr,
    stderrIsTty: false,
    cwd,
    env: {},
    out: () => Buffer.concat(chunks.out).toString('utf8'),
    err: () => Buffer.concat(chunks.err).toString('utf8'),
  };
}
