import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tnewsTables } from '../test/tables-fixture';
import { uniformCandidate } from './candidate';
import {
  cachedTables,
  emptyLatencyCache,
  findCacheEntry,
  readLatencyCache,
  recordLatencies,
  writeLatencyCache,
} from './latency-cache';

describe('latency cache', () => {
  it('a missing file is an empty cache; entries round-trip per device, model, variant and shape', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'samp-rec-')), 'cache.json');
    expect(await readLatencyCache(file)).toEqual(emptyLatencyCache());
    const cache = emptyLatencyCache();
    const key = { device: 'cpu:AMD EPYC, avx2', model: 'sha256:x', variant: 'dynamic scales' };
    const table = tnewsTables().latency;
    recordLatencies(cache, key, 32, 64, [{ plan: uniformCandidate(4, 'fp32'), ms: 101 }], table);
    recordLatencies(cache, key, 32, 64, [{ plan: uniformCandidate(4, 'fp32'), ms: 99 }]);
    recordLatencies(cache, { ...key, variant: 'static scales' }, 32, 64, [
      { plan: uniformCandidate(4, 'int8-full'), ms: 90 },
    ]);
    await writeLatencyCache(file, cache);
    const back = await readLatencyCache(file);
    expect(back).toEqual(cache);
    expect(findCacheEntry(back, key, 32, 64)?.measurements).toEqual([
      { plan: uniformCandidate(4, 'fp32'), ms: 99 },
    ]);
    expect(findCacheEntry(back, key, 32, 128)).toBeUndefined();
    expect(cachedTables(back, key)).toEqual([table]);
    expect(cachedTables(back, { ...key, variant: 'static scales' })).toEqual([]);
  });

  it('names the file and field of a malformed cache', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samp-rec-'));
    const file = join(dir, 'cache.json');
    await writeFile(
      file,
      JSON.stringify({
        format: 'samp.latency-cache',
        version: 1,
        entries: [
          { device: 'cpu', model: 'm', variant: '', batchSize: 0, sequenceLength: 64, measurements: [] },
        ],
      }),
    );
    await expect(readLatencyCache(file)).rejects.toThrow(
      /cache\.json, field "entries\[0\]\.batchSize": expected a positive integer/,
    );
    await writeFile(file, JSON.stringify({ format: 'samp.precision-plan' }));
    await expect(readLatencyCache(file)).rejects.toMatchObject({ code: 'SAMP_INVALID_RECOMMENDER_TABLES' });
    expect(JSON.parse(await readFile(file, 'utf8')).format).toBe('samp.precision-plan');
  });
});
