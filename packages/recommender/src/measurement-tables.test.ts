import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SampError } from '@samp/core';
import { describe, expect, it } from 'vitest';
import { TNEWS_TABLES_FILE, tnewsTables } from '../test/tables-fixture';
import {
  parseMeasurementTables,
  readMeasurementTables,
  writeMeasurementTables,
} from './measurement-tables-file';

function fails(json: unknown, pattern: RegExp): void {
  try {
    parseMeasurementTables(json, 'tables.json');
    expect.unreachable();
  } catch (e) {
    expect(SampError.isInstance(e) && e.code).toBe('SAMP_INVALID_RECOMMENDER_TABLES');
    expect((e as Error).message).toMatch(pattern);
  }
}

describe('measurement tables', () => {
  it('the committed TNEWS tables: 4 layers, both INT8 modes per layer, a latency table at batch 32 × 64', async () => {
    const t = await readMeasurementTables(TNEWS_TABLES_FILE);
    expect(t.model.numHiddenLayers).toBe(4);
    expect(t.metric).toBe('accuracy');
    for (const mode of ['int8-full', 'int8-ffn']) {
      expect(
        t.sensitivity
          .filter((e) => e.plan.precision === mode)
          .map((e) => e.layer)
          .sort(),
      ).toEqual([0, 1, 2, 3]);
    }
    expect(t.latency).toMatchObject({ batchSize: 32, sequenceLength: 64 });
    expect(t.latency.fixedMs).toBeGreaterThan(0);
    expect(t.excluded?.map((e) => e.precision)).toEqual(['fp16', 'fp8']);
  });

  it('round-trips through a file written atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samp-rec-'));
    const file = join(dir, 'tables.json');
    await writeMeasurementTables(file, tnewsTables());
    expect(await readMeasurementTables(file)).toEqual(tnewsTables());
    expect(JSON.parse(await readFile(file, 'utf8')).format).toBe('samp.recommender-tables');
  });

  it('names the file and field of bad documents', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: malformed-document cases reach into the document freely.
    const t = tnewsTables() as unknown as Record<string, any>;
    fails(
      { ...t, format: 'samp.precision-plan' },
      /tables\.json, field "format": expected "samp\.recommender-tables"/,
    );
    fails({ ...t, version: 2 }, /field "version": expected 1/);
    const s = structuredClone(t);
    s.sensitivity[3].layer = 4;
    fails(s, /field "sensitivity\[3\]\.layer": expected at most 3, got 4/);
    const p = structuredClone(t);
    p.sensitivity[0].plan.precision = 'int4';
    fails(
      p,
      /field "sensitivity\[0\]\.plan\.precision": expected one of fp32, fp16, fp8, int8-full, int8-ffn, got "int4"/,
    );
    const l = structuredClone(t);
    l.latency.layers.pop();
    fails(l, /field "latency\.layers": expected 4 layers \(model\.numHiddenLayers\), got 3/);
    fails({ ...t, extra: 1 }, /field "extra": unknown field/);
    const dir = await mkdtemp(join(tmpdir(), 'samp-rec-'));
    await writeFile(join(dir, 'broken.json'), '{"format": ');
    await expect(readMeasurementTables(join(dir, 'broken.json'))).rejects.toThrow(
      /broken\.json: is not valid JSON/,
    );
    await expect(readMeasurementTables(join(dir, 'missing.json'))).rejects.toThrow(
      /missing\.json: cannot be read/,
    );
  });
});
