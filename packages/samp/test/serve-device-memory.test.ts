// `samp_device_memory_bytes` from real sessions: a CPU session of the trained TNEWS model is reported by
// its weights and workspace (which grows after a run and is 0 once disposed), sessions of a backend
// without `memoryUsage` are left out, a served model reports one session per worker, and on a GPU
// machine a CUDA server reports its sessions and the device's used and total bytes (without a driver
// the CUDA server is refused with the driver's reason: nothing is skipped).
import { existsSync } from 'node:fs';
import { type EncoderInput, loadModel, type ModelArtifacts } from '@samp/core';
import { createCpuBackend } from '@samp/encoder-cpu-vnni';
import { beforeAll, describe, expect, it } from 'vitest';
import { switchingBackend } from '../src/precision/switching-backend';
import {
  createServerMetrics,
  deviceMemorySeries,
  recordSessions,
  type ServedSession,
  startServer,
} from '../src/serve';
import { readDev, TRAINED } from './support/dev-sets';

const hasDriver = existsSync('/dev/nvidiactl');

/** The value of `samp_device_memory_bytes{device,kind}` in a scrape, or undefined without that row. */
function gauge(text: string, device: string, kind: string): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`samp_device_memory_bytes{device="${device}",kind="${kind}"} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The first `rows` TNEWS dev titles' token ids, right-padded to the longest. */
function devBatch(rows: number): EncoderInput {
  const ids = readDev(TRAINED.tnews, rows).map((l) => l.input_ids);
  const seq = Math.max(...ids.map((r) => r.length));
  const input: EncoderInput = {
    inputIds: new Int32Array(rows * seq),
    attentionMask: new Int32Array(rows * seq),
    batchSize: rows,
    sequenceLength: seq,
  };
  ids.forEach((r, i) => {
    input.inputIds.set(r, i * seq);
    input.attentionMask.fill(1, i * seq, i * seq + r.length);
  });
  return input;
}

const source = (sessions: readonly ServedSession[]) => () => [
  { name: 'tnews', queueDepth: 0, batchesInFlight: 0, workers: sessions.length, sessions },
];

describe('samp_device_memory_bytes', () => {
  let model: ModelArtifacts;
  beforeAll(async () => {
    model = await loadModel(TRAINED.tnews, { tokenizer: false });
  });

  it('reports a real CPU session: its weights plus its workspace, which grows after a run', async () => {
    const recorder = recordSessions([createCpuBackend({ threads: 1 })]);
    const session = await recorder.backends[0]?.createSession(model, { precision: 'fp32' });
    if (session === undefined) throw new Error('no session');
    const served = recorder.latest() as ServedSession;
    expect(served.session).toBe(session);
    expect(served.backend.name).toBe('cpu');
    const metrics = createServerMetrics(source([served]));
    try {
      const { hiddenSize: h, intermediateSize: i, numHiddenLayers: layers } = model.config;
      // The packed FP32 Linear weights: Q, K, V, attention output and the two FFN matrices per layer.
      const linear = layers * (4 * h * h + 2 * h * i) * 4;
      const before = session.memoryUsage?.();
      expect(before?.device).toBe('cpu');
      expect(before?.weightBytes).toBeGreaterThanOrEqual(linear);
      expect(before?.weightBytes).toBeLessThan(linear * 1.1);
      const first = await metrics.scrape();
      expect(gauge(first, 'cpu', 'sessions')).toBe(
        (before?.weightBytes ?? 0) + (before?.workspaceBytes ?? 0),
      );
      expect(gauge(first, 'cpu', 'rss')).toBeGreaterThan(gauge(first, 'cpu', 'sessions') ?? 0);
      // The CPU has no used/total rows: its memory is the process's.
      expect(first).not.toMatch(/kind="(used|total)"/);

      await session.run(devBatch(16));
      const after = session.memoryUsage?.();
      expect(after?.workspaceBytes).toBeGreaterThan(before?.workspaceBytes ?? 0);
      expect(gauge(await metrics.scrape(), 'cpu', 'sessions')).toBe(
        (after?.weightBytes ?? 0) + (after?.workspaceBytes ?? 0),
      );
    } finally {
      await session.dispose();
    }
    expect(session.memoryUsage?.()).toEqual({ device: 'cpu', weightBytes: 0, workspaceBytes: 0 });
    expect(gauge(await metrics.scrape(), 'cpu', 'sessions')).toBe(0);
  });

  it('leaves out sessions of a backend without memoryUsage', async () => {
    const recorder = recordSessions([switchingBackend(createCpuBackend({ threads: 1 })).backend]);
    const session = await recorder.backends[0]?.createSession(model, {});
    expect(session?.memoryUsage).toBeUndefined();
    const text = await createServerMetrics(source([recorder.latest() as ServedSession])).scrape();
    expect(text).toMatch(/^samp_device_memory_bytes\{device="cpu",kind="rss"\} [1-9]\d+$/m);
    expect(text).not.toMatch(/kind="sessions"/);
  });

  it('renders GPU rows as sessions, used (total less free) and total, devices in order', () => {
    const series = deviceMemorySeries(
      1000,
      new Map([
        ['cuda:1', 300],
        ['cpu', 20],
        ['cuda:0', 500],
      ]),
      new Map([['cuda:0', { freeBytes: 6000, totalBytes: 10000 }]]),
    );
    expect(series).toEqual([
      [{ device: 'cpu', kind: 'rss' }, 1000],
      [{ device: 'cpu', kind: 'sessions' }, 20],
      [{ device: 'cuda:0', kind: 'sessions' }, 500],
      [{ device: 'cuda:0', kind: 'used' }, 4000],
      [{ device: 'cuda:0', kind: 'total' }, 10000],
      [{ device: 'cuda:1', kind: 'sessions' }, 300],
    ]);
  });

  it('a served model reports one session per worker, and none once closed', async () => {
    const server = await startServer({
      models: [{ name: 'tnews', model: TRAINED.tnews, device: 'cpu', threads: 1, workers: 2 }],
      port: 0,
    });
    try {
      const sessions = server.models[0]?.sessions() ?? [];
      expect(sessions).toHaveLength(2);
      expect(sessions[0]?.session).not.toBe(sessions[1]?.session);
      const held = sessions.reduce((sum, { session }) => {
        const usage = session.memoryUsage?.();
        return sum + (usage?.weightBytes ?? 0) + (usage?.workspaceBytes ?? 0);
      }, 0);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(gauge(text, 'cpu', 'sessions')).toBe(held);
    } finally {
      await server.close();
    }
    expect(server.models[0]?.sessions()).toEqual([]);
  });

  if (hasDriver) {
    it('on a GPU: a CUDA server reports its sessions, the used and the total bytes of cuda:0', async () => {
      const server = await startServer({
        models: [{ name: 'tnews', model: TRAINED.tnews, device: 'cuda', precision: 'fp16' }],
        port: 0,
      });
      try {
        const answer = await fetch(`${server.url}/v1/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: readDev(TRAINED.tnews, 8).map((l) => l.text) }),
        });
        expect(answer.status).toBe(200);
        const [served] = server.models[0]?.sessions() ?? [];
        expect(served?.backend.name).toBe('cuda');
        const usage = served?.session.memoryUsage?.();
        expect(usage?.device).toBe('cuda:0');
        expect(usage?.weightBytes).toBeGreaterThan(0);
        expect(usage?.workspaceBytes).toBeGreaterThan(0);
        const text = await (await fetch(`${server.url}/metrics`)).text();
        const held = gauge(text, 'cuda:0', 'sessions') ?? 0;
        expect(held).toBe((usage?.weightBytes ?? 0) + (usage?.workspaceBytes ?? 0));
        const used = gauge(text, 'cuda:0', 'used') ?? 0;
        const total = gauge(text, 'cuda:0', 'total') ?? 0;
        expect(used).toBeGreaterThanOrEqual(held);
        expect(total).toBeGreaterThan(used);
      } finally {
        await server.close();
      }
    });
  } else {
    it('without a driver: a CUDA server is refused with GpuUnavailableError', async () => {
      await expect(
        startServer({ models: [{ name: 'tnews', model: TRAINED.tnews, device: 'cuda' }], port: 0 }),
      ).rejects.toMatchObject({ name: 'GpuUnavailableError', code: 'SAMP_GPU_UNAVAILABLE' });
    });
  }
});
