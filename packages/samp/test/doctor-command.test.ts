import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeBackends } from '../src/backends/backend-packages';
import { commands } from '../src/cli/commands';
import { runCli } from '../src/cli/run-cli';
import { memoryIo } from './support/memory-io';

describe('samp doctor', () => {
  it('reports both backends with a status and, for the CPU, the features /proc/cpuinfo lists', async () => {
    const io = memoryIo();
    expect(await runCli(['doctor', '--json'], commands, io)).toBe(0);
    const report = JSON.parse(io.out()) as {
      backends: { device: string; status: string; reason?: string; details: Record<string, unknown> }[];
    };
    expect(report.backends.map((b) => b.device)).toEqual(['cuda', 'cpu']);
    const cpu = report.backends.find((b) => b.device === 'cpu');
    expect(cpu?.status).toBe('available');
    const flags =
      readFileSync('/proc/cpuinfo', 'utf8')
        .match(/^flags\s*:(.*)$/m)?.[1]
        ?.trim()
        .split(/\s+/) ?? [];
    const features = cpu?.details.features as string[];
    expect(features.includes('avx2')).toBe(flags.includes('avx2'));
    expect(features.includes('fma')).toBe(flags.includes('fma'));
    const cuda = report.backends.find((b) => b.device === 'cuda');
    if (existsSync('/dev/nvidiactl')) {
      expect(cuda?.status).toBe('available');
    } else {
      // No driver here: the module still loads and the probe says why the GPU cannot be used.
      expect(cuda?.status).toBe('unavailable');
      expect(cuda?.reason).toMatch(/cuda/i);
    }
  });

  it('says a backend package that is not installed is not installed, without failing', async () => {
    const statuses = await probeBackends(async (name) => {
      const error = Object.assign(new Error(`Cannot find package '${name}'`), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
      throw error;
    });
    expect(statuses.map((s) => s.status)).toEqual(['not-installed', 'not-installed']);
    expect(statuses[0]?.reason).toBe('@samp/encoder-cuda is not installed');
  });

  it('prints a table naming each backend and its reason', async () => {
    const io = memoryIo();
    expect(await runCli(['doctor'], commands, io)).toBe(0);
    expect(io.out()).toMatch(/^cpu\s+@samp\/encoder-cpu-vnni\s+available/m);
    expect(io.out()).toMatch(/^cuda\s+@samp\/encoder-cuda\s+\S+/m);
  });
});
