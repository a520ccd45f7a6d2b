// Leaks on the GPU: many create/run/dispose cycles must leave the device's used memory (nvidia-smi) and
// the process's RSS where they were after warm-up. Without a driver the backend must refuse a session
// with the driver's reason (nothing is skipped). SAMP_LEAK_CYCLES sets the cycle count (default 300).
import { execFileSync } from 'node:child_process';
import { loadModel, type ModelArtifacts } from '@samp/core';
import { listFixtureModels, readFixtureInputs } from '@samp/core/testing';
import { describe, expect, it } from 'vitest';
import { createCudaBackend } from '../src/index';
import { hasDriver } from './gpu-gate';

const fixture = listFixtureModels().find((f) => f.name === 'bert');
const load = (): Promise<ModelArtifacts> => loadModel(fixture?.dir ?? '', { tokenizer: false });
const cycles = Number(process.env.SAMP_LEAK_CYCLES ?? 300);

/** MiB of device memory in use on GPU 0, as the driver reports it. */
function deviceUsedMiB(): number {
  const out = execFileSync(
    'nvidia-smi',
    ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-i', '0'],
    {
      encoding: 'utf8',
    },
  );
  return Number(out.trim().split('\n')[0]);
}

const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20;

if (!hasDriver) {
  describe('GPU leak check (no driver here)', () => {
    it('refuses to open a session, naming the driver error', async () => {
      const m = await load();
      await expect(createCudaBackend().createSession(m, { precision: 'fp16' })).rejects.toMatchObject({
        code: 'SAMP_GPU_UNAVAILABLE',
      });
    });
  });
} else {
  describe('GPU leak check', () => {
    it(`${cycles} create/run/dispose cycles keep device memory and RSS flat`, async () => {
      const m = await load();
      const input = readFixtureInputs(fixture ?? (undefined as never), m.config.padTokenId);
      const backend = createCudaBackend();
      const cycle = async (precision: 'fp32' | 'fp16') => {
        const session = await backend.createSession(m, { precision });
        await session.run(input);
        await session.dispose();
      };
      const warmUp = Math.max(20, Math.floor(cycles / 10));
      for (let i = 0; i < warmUp; i++) await cycle(i % 2 === 0 ? 'fp16' : 'fp32');
      const device0 = deviceUsedMiB();
      const rss0 = rssMiB();
      for (let i = 0; i < cycles; i++) await cycle(i % 2 === 0 ? 'fp16' : 'fp32');
      const deviceGrowth = deviceUsedMiB() - device0;
      const rssGrowth = rssMiB() - rss0;
      // Recorded in docs/reliability.md; the bounds leave room for allocator rounding, not for a per-cycle leak.
      process.stdout.write(
        `gpu leak: ${cycles} cycles, device +${deviceGrowth} MiB, rss +${rssGrowth.toFixed(1)} MiB\n`,
      );
      expect(deviceGrowth).toBeLessThanOrEqual(16);
      expect(rssGrowth).toBeLessThanOrEqual(32);
    }, 600_000);
  });
}
