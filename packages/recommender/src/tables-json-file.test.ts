import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tnewsTables } from '../test/tables-fixture';
import { InvalidTablesError } from './errors';
import { parseMeasurementTables } from './measurement-tables-file';
import { readTablesJsonFile, tablesFail, writeTablesJsonFile } from './tables-json-file';

describe('tables JSON files', () => {
  it('writes two-space JSON with a final newline, leaving no temp file, and reads it back through parse', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samp-rec-json-'));
    const file = join(dir, 'tables.json');
    const tables = tnewsTables();
    await writeTablesJsonFile(file, tables);
    expect(await readFile(file, 'utf8')).toBe(`${JSON.stringify(tables, null, 2)}\n`);
    expect(await readdir(dir)).toEqual(['tables.json']);
    const sources: string[] = [];
    const back = await readTablesJsonFile(file, (json, source) => {
      sources.push(source);
      return parseMeasurementTables(json, source);
    });
    expect(back).toEqual(tables);
    expect(sources).toEqual([file]);
  });

  it('names the file when it is missing (unless ifMissing), unreadable or not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samp-rec-json-'));
    const missing = join(dir, 'missing.json');
    const parse = (json: unknown) => json;
    await expect(readTablesJsonFile(missing, parse)).rejects.toMatchObject({
      code: 'SAMP_INVALID_RECOMMENDER_TABLES',
      source: missing,
      field: undefined,
      message: expect.stringMatching(/missing\.json: cannot be read: ENOENT/),
    });
    expect(await readTablesJsonFile(missing, parse, { ifMissing: () => 'empty' })).toBe('empty');
    // A folder exists but cannot be read as a file: only ENOENT stands for "missing".
    await expect(readTablesJsonFile(dir, parse, { ifMissing: () => 'empty' })).rejects.toThrow(
      /cannot be read: EISDIR/,
    );
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"format": ');
    await expect(readTablesJsonFile(broken, parse)).rejects.toThrow(/broken\.json: is not valid JSON/);
  });

  it('tablesFail names the source, and the field unless the path is the whole document', () => {
    const fail = tablesFail('tables.json');
    expect(() => fail('latency.layers', 'expected 4 layers')).toThrow(
      expect.objectContaining({
        source: 'tables.json',
        field: 'latency.layers',
        message: 'tables.json, field "latency.layers": expected 4 layers',
      }),
    );
    expect(() => fail('', 'expected an object')).toThrow(
      new InvalidTablesError('tables.json', undefined, 'expected an object'),
    );
  });
});
