import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@samp/core';
import { InvalidTablesError } from './errors';
import type { FailFn } from './measurement-tables';

/** How {@link readTablesJsonFile} treats a file that does not exist. */
export interface ReadTablesJsonOptions<T> {
  /** The document a missing file stands for (default: none, a missing file is an InvalidTablesError). */
  ifMissing?: () => T;
}

/**
 * The validators' `fail` for a document: throws InvalidTablesError naming `source` and the field (none
 * for the document as a whole, path `''`).
 */
export function tablesFail(source: string): FailFn {
  return (path, problem) => {
    throw new InvalidTablesError(source, path === '' ? undefined : path, problem);
  };
}

/**
 * Reads a JSON file of the recommender (measurement tables, a latency cache) and validates it with
 * `parse`, which names the file in its errors.
 * @throws InvalidTablesError naming the file when it cannot be read or is not JSON, or what `parse` throws.
 * @example
 * const tables = await readTablesJsonFile('tables.json', parseMeasurementTables);
 */
export async function readTablesJsonFile<T>(
  file: string,
  parse: (json: unknown, source: string) => T,
  options: ReadTablesJsonOptions<T> = {},
): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if (options.ifMissing !== undefined && (cause as NodeJS.ErrnoException).code === 'ENOENT') {
      return options.ifMissing();
    }
    throw new InvalidTablesError(file, undefined, `cannot be read: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InvalidTablesError(file, undefined, `is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  return parse(json, file);
}

/**
 * Writes `document` to `file` as two-space JSON with a final newline, atomically (temp file, then
 * rename), so a reader never sees half a file.
 */
export async function writeTablesJsonFile(file: string, document: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(document, null, 2)}\n`);
}
