import { type Candidate, candidateKey } from './candidate';
import type { LatencyMeasurement } from './latency-model';
import { type FailFn, type LatencyTable, readLatencyTable, readLayerPlan } from './measurement-tables';
import { readTablesJsonFile, tablesFail, writeTablesJsonFile } from './tables-json-file';

/** The `format` marker of a latency cache file. */
export const LATENCY_CACHE_FORMAT = 'samp.latency-cache';

/** What latency measurements are valid for: one device, one model, one way of running it. */
export interface LatencyCacheKey {
  /** The device, as precisely as the caller can name it (`cpu:AMD EPYC (avx2, 2 threads)`). */
  device: string;
  /** The model's fingerprint. */
  model: string;
  /** Anything else that changes speed, e.g. `static scales` vs `dynamic scales` (default ''). */
  variant?: string;
}

/** The measurements of one key at one batch shape, and the table fitted to them. */
export interface LatencyCacheEntry {
  device: string;
  model: string;
  variant: string;
  batchSize: number;
  sequenceLength: number;
  measurements: { plan: Candidate; ms: number }[];
  table?: LatencyTable;
}

/** A latency cache document: measured plan latencies per device, model and shape. */
export interface LatencyCache {
  format: typeof LATENCY_CACHE_FORMAT;
  version: 1;
  entries: LatencyCacheEntry[];
}

/** An empty cache. */
export function emptyLatencyCache(): LatencyCache {
  return { format: LATENCY_CACHE_FORMAT, version: 1, entries: [] };
}

const sameKey = (e: LatencyCacheEntry, key: LatencyCacheKey) =>
  e.device === key.device && e.model === key.model && e.variant === (key.variant ?? '');

/** The cached entry of `key` at a shape, if any. */
export function findCacheEntry(
  cache: LatencyCache,
  key: LatencyCacheKey,
  batchSize: number,
  sequenceLength: number,
): LatencyCacheEntry | undefined {
  return cache.entries.find(
    (e) => sameKey(e, key) && e.batchSize === batchSize && e.sequenceLength === sequenceLength,
  );
}

/** Every fitted table of `key`, at whatever shapes were measured (for estimating other shapes). */
export function cachedTables(cache: LatencyCache, key: LatencyCacheKey): LatencyTable[] {
  return cache.entries
    .filter((e) => sameKey(e, key) && e.table !== undefined)
    .map((e) => e.table as LatencyTable);
}

/** Adds (or replaces, by plan) measurements of `key` at a shape, and its fitted table when given. */
export function recordLatencies(
  cache: LatencyCache,
  key: LatencyCacheKey,
  batchSize: number,
  sequenceLength: number,
  measurements: readonly LatencyMeasurement[],
  table?: LatencyTable,
): void {
  let entry = findCacheEntry(cache, key, batchSize, sequenceLength);
  if (entry === undefined) {
    entry = {
      device: key.device,
      model: key.model,
      variant: key.variant ?? '',
      batchSize,
      sequenceLength,
      measurements: [],
    };
    cache.entries.push(entry);
  }
  for (const m of measurements) {
    const k = candidateKey(m.plan);
    const existing = entry.measurements.find((x) => candidateKey(x.plan) === k);
    if (existing === undefined) entry.measurements.push({ plan: m.plan, ms: m.ms });
    else existing.ms = m.ms;
  }
  if (table !== undefined) entry.table = table;
}

function parseCache(json: unknown, source: string): LatencyCache {
  // Annotated so that TypeScript treats each fail(...) call as the end of its branch.
  const fail: FailFn = tablesFail(source);
  const doc = json as Record<string, unknown>;
  if (typeof json !== 'object' || json === null || doc.format !== LATENCY_CACHE_FORMAT) {
    fail('format', `expected ${JSON.stringify(LATENCY_CACHE_FORMAT)} (is this a latency cache?)`);
  }
  if (doc.version !== 1) fail('version', `expected 1, got ${JSON.stringify(doc.version)}`);
  if (!Array.isArray(doc.entries)) fail('entries', 'expected an array');
  const entries = (doc.entries as unknown[]).map((raw, i): LatencyCacheEntry => {
    const p = `entries[${i}]`;
    const e = raw as Record<string, unknown>;
    if (typeof raw !== 'object' || raw === null) fail(p, 'expected an object');
    for (const k of ['device', 'model', 'variant'] as const) {
      if (typeof e[k] !== 'string') fail(`${p}.${k}`, 'expected a string');
    }
    for (const k of ['batchSize', 'sequenceLength'] as const) {
      if (!Number.isInteger(e[k]) || (e[k] as number) < 1) fail(`${p}.${k}`, 'expected a positive integer');
    }
    if (!Array.isArray(e.measurements)) fail(`${p}.measurements`, 'expected an array');
    const measurements = (e.measurements as unknown[]).map((m, j) => {
      const mp = `${p}.measurements[${j}]`;
      const o = m as Record<string, unknown>;
      if (typeof m !== 'object' || m === null || !Array.isArray(o.plan))
        fail(`${mp}.plan`, 'expected an array of layer plans');
      if (typeof o.ms !== 'number' || !(o.ms > 0)) fail(`${mp}.ms`, 'expected a positive number');
      return {
        plan: (o.plan as unknown[]).map((l, k) => readLayerPlan(fail, l, `${mp}.plan[${k}]`)),
        ms: o.ms as number,
      };
    });
    const entry: LatencyCacheEntry = {
      device: e.device as string,
      model: e.model as string,
      variant: e.variant as string,
      batchSize: e.batchSize as number,
      sequenceLength: e.sequenceLength as number,
      measurements,
    };
    if (e.table !== undefined) entry.table = readLatencyTable(fail, e.table, `${p}.table`);
    return entry;
  });
  return { format: LATENCY_CACHE_FORMAT, version: 1, entries };
}

/**
 * Reads a latency cache file; a file that does not exist yet is an empty cache.
 * @throws InvalidTablesError naming the file (and field) when it is unreadable or malformed.
 * @example
 * const cache = await readLatencyCache('latency-cache.json');
 */
export async function readLatencyCache(file: string): Promise<LatencyCache> {
  return readTablesJsonFile(file, parseCache, { ifMissing: emptyLatencyCache });
}

/** Writes a latency cache atomically (temp file, then rename). */
export async function writeLatencyCache(file: string, cache: LatencyCache): Promise<void> {
  await writeTablesJsonFile(file, cache);
}
