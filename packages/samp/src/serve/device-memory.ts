import type { EncoderBackendV1 } from '@samp/core';
import type { MetricLabels } from './metrics';
import type { ServedSession } from './served-sessions';

/** A GPU's free and total bytes, as a backend's `deviceMemory(index)` reports them. */
export interface DeviceMemoryReading {
  readonly freeBytes: number;
  readonly totalBytes: number;
}

/** What `@samp/encoder-cuda`'s backend adds to the spec: a query of a GPU's memory. */
interface DeviceMemoryBackend extends EncoderBackendV1 {
  deviceMemory(deviceIndex: number): Promise<DeviceMemoryReading>;
}

const hasDeviceMemory = (backend: EncoderBackendV1): backend is DeviceMemoryBackend =>
  typeof (backend as Partial<DeviceMemoryBackend>).deviceMemory === 'function';

/** `cuda:3` → 3; anything else (`cpu`, another accelerator) → undefined. */
function cudaIndex(device: string): number | undefined {
  const m = /^cuda:(\d+)$/.exec(device);
  return m === null ? undefined : Number(m[1]);
}

/**
 * Bytes the sessions hold per device (weights plus workspace, from `memoryUsage()`), in the order the
 * devices first appear. Sessions of backends without `memoryUsage` are left out.
 */
export function sessionBytesByDevice(sessions: readonly ServedSession[]): Map<string, number> {
  const bytes = new Map<string, number>();
  for (const { session } of sessions) {
    const usage = session.memoryUsage?.();
    if (usage === undefined) continue;
    bytes.set(usage.device, (bytes.get(usage.device) ?? 0) + usage.weightBytes + usage.workspaceBytes);
  }
  return bytes;
}

/**
 * Reads the free and total memory of every CUDA device the sessions are on, through the backend of one
 * of its sessions that offers `deviceMemory` (the CUDA backend does). A device whose query fails (a
 * lost GPU) is left out rather than failing the scrape; so is one no backend can query.
 * @returns readings by device name (`cuda:0`, …).
 */
export async function readDeviceMemory(
  sessions: readonly ServedSession[],
): Promise<Map<string, DeviceMemoryReading>> {
  const queries = new Map<string, Promise<DeviceMemoryReading>>();
  for (const { session, backend } of sessions) {
    const device = session.memoryUsage?.().device;
    const index = device === undefined ? undefined : cudaIndex(device);
    if (device === undefined || index === undefined || queries.has(device) || !hasDeviceMemory(backend))
      continue;
    queries.set(device, backend.deviceMemory(index));
  }
  const readings = new Map<string, DeviceMemoryReading>();
  await Promise.all(
    [...queries].map(async ([device, query]) => {
      try {
        readings.set(device, await query);
      } catch {
        // Left out: the gauge then has no used/total rows for the device.
      }
    }),
  );
  return readings;
}

/**
 * The series of `samp_device_memory_bytes`: the process's resident set (`device="cpu"`, `kind="rss"`:
 * the CPU backend's weights and scratch live there), the bytes the sessions hold per device
 * (`kind="sessions"`), and for each GPU read by {@link readDeviceMemory} its `kind="used"` (total less
 * free: every process's allocations and contexts) and `kind="total"`.
 * @param rss the process's resident set in bytes.
 */
export function deviceMemorySeries(
  rss: number,
  sessionBytes: ReadonlyMap<string, number>,
  readings: ReadonlyMap<string, DeviceMemoryReading>,
): [MetricLabels, number][] {
  const series: [MetricLabels, number][] = [[{ device: 'cpu', kind: 'rss' }, rss]];
  const devices = [...new Set([...sessionBytes.keys(), ...readings.keys()])].sort();
  for (const device of devices) {
    const held = sessionBytes.get(device);
    if (held !== undefined) series.push([{ device, kind: 'sessions' }, held]);
    const reading = readings.get(device);
    if (reading === undefined) continue;
    series.push([{ device, kind: 'used' }, reading.totalBytes - reading.freeBytes]);
    series.push([{ device, kind: 'total' }, reading.totalBytes]);
  }
  return series;
}
