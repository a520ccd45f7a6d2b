import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@samp/core';
import { InvalidTablesError } from './errors';
import { type MeasurementTables, parseMeasurementTablesWith } from './measurement-tables';

/**
 * Validates a parsed measurement-tables document.
 * @param source names the document in errors (usually its file).
 * @throws InvalidTablesError naming `source`, the field and what was expected.
 * @example
 * const tables = parseMeasurementTables(JSON.parse(text), 'tables.json');
 */
export function parseMeasurementTables(json: unknown, source: string): MeasurementTables {
  return parseMeasurementTablesWith(json, (path, problem) => {
    throw new InvalidTablesError(source, path === '' ? undefined : path, problem);
  });
}

/**
 * Reads and validates a measurement-tables JSON file.
 * @throws InvalidTablesError naming the file when it cannot be read, is not JSON or is not valid.
 * @example
 * const tables = await readMeasurementTables('tnews-cpu-tables.json');
 */
export async function readMeasurementTables(file: string): Promise<MeasurementTables> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
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
  return parseMeasurementTables(json, file);
}

/**
 * Validates `tables` and writes them to `file` as two-space JSON, atomically (temp file, then rename).
 * @throws InvalidTablesError when `tables` is not valid (nothing is written).
 */
export async function writeMeasurementTables(file: string, tables: MeasurementTables): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(parseMeasurementTables(tables, file), null, 2)}\n`);
}
