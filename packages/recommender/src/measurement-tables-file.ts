import { type MeasurementTables, parseMeasurementTablesWith } from './measurement-tables';
import { readTablesJsonFile, tablesFail, writeTablesJsonFile } from './tables-json-file';

/**
 * Validates a parsed measurement-tables document.
 * @param source names the document in errors (usually its file).
 * @throws InvalidTablesError naming `source`, the field and what was expected.
 * @example
 * const tables = parseMeasurementTables(JSON.parse(text), 'tables.json');
 */
export function parseMeasurementTables(json: unknown, source: string): MeasurementTables {
  return parseMeasurementTablesWith(json, tablesFail(source));
}

/**
 * Reads and validates a measurement-tables JSON file.
 * @throws InvalidTablesError naming the file when it cannot be read, is not JSON or is not valid.
 * @example
 * const tables = await readMeasurementTables('tnews-cpu-tables.json');
 */
export async function readMeasurementTables(file: string): Promise<MeasurementTables> {
  return readTablesJsonFile(file, parseMeasurementTables);
}

/**
 * Validates `tables` and writes them to `file` as two-space JSON, atomically (temp file, then rename).
 * @throws InvalidTablesError when `tables` is not valid (nothing is written).
 */
export async function writeMeasurementTables(file: string, tables: MeasurementTables): Promise<void> {
  await writeTablesJsonFile(file, parseMeasurementTables(tables, file));
}
