import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type MeasurementTables, parseMeasurementTables } from '../src';

/** The committed measurement tables of the TNEWS classifier on the CPU backend (see fixtures/README.md). */
export const TNEWS_TABLES_FILE = join(import.meta.dirname, 'fixtures', 'tnews-cpu-tables.json');

/** A fresh copy of the committed TNEWS tables, validated. */
export function tnewsTables(): MeasurementTables {
  return parseMeasurementTables(JSON.parse(readFileSync(TNEWS_TABLES_FILE, 'utf8')), TNEWS_TABLES_FILE);
}
