import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CPU_BINDING_ENV,
  CPU_FEATURE_NAMES,
  INT8_ISAS,
  loadCpuBinding,
  probe,
  readCpuFeatures,
} from '../src/index';

// This suite runs after `pnpm build`: it loads the real addon. When the addon is not built the
// first test fails with BindingNotFoundError's message (paths tried + build command).

function cpuinfoFlags(): Set<string> {
  const line = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  expect(line, '/proc/cpuinfo has no flags line').not.toBeNull();
  return new Set((line?.[1] ?? '').trim().split(/\s+/));
}

// Flags every supported kernel prints; newer ones (VNNI, AMX) may be missing from an older kernel's list.
const ALWAYS_LISTED = new Set(['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl']);

const savedIsa = process.env.SAMP_CPU_ISA;
const savedBinding = process.env[CPU_BINDING_ENV];
afterEach(() => {
  for (const [name, value] of [
    ['SAMP_CPU_ISA', savedIsa],
    [CPU_BINDING_ENV, savedBinding],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('@samp/encoder-cpu-vnni probe', () => {
  it('loads the built addon', () => {
    const binding = loadCpuBinding(); // throws BindingNotFoundError when `build:native` has not run
    expect(binding.abiVersion).toBe(4);
    expect(typeof binding.createSession).toBe('function');
    expect(typeof binding.probe).toBe('function');
  });

  it('reports the features /proc/cpuinfo lists', () => {
    const flags = cpuinfoFlags();
    const { features } = readCpuFeatures();
    const os = (name: string) =>
      name.startsWith('amx')
        ? features.os_amx
        : name.startsWith('avx512')
          ? features.os_avx512
          : name === 'sse4_2' || features.os_avx;
    for (const name of CPU_FEATURE_NAMES) {
      const usable = features[name] && os(name);
      if (flags.has(name)) expect(usable, `/proc/cpuinfo lists ${name}`).toBe(true);
      if (ALWAYS_LISTED.has(name)) expect(usable, `${name} vs /proc/cpuinfo`).toBe(flags.has(name));
    }
    if (flags.has('avx')) expect(features.os_avx).toBe(true);
    if (flags.has('avx512f')) expect(features.os_avx512).toBe(true);
    if (flags.has('amx_tile')) expect(features.os_amx).toBe(true);
  });

  it('is self-consistent and picks an ISA the flags allow', () => {
    const flags = cpuinfoFlags();
    const raw = readCpuFeatures();
    const f = raw.features;
    if (f.avx512_vnni) expect(f.avx512f).toBe(true);
    if (f.os_avx512) expect(f.os_avx).toBe(true);
    if (f.amx_int8) expect(f.amx_tile).toBe(true);
    expect(INT8_ISAS).toContain(raw.bestIsa);
    expect(raw.bestIsa).toBe(raw.hardwareIsa);
    expect(raw.isaOverride).toBeNull();
    // The brand is CPUID's, trimmed and printable. Linux's model name is the same string except under
    // hypervisors that show the kernel another (a CI VM: 'Oxide Virtual Turin-like Processor' against
    // 'AMD EPYC'), so only its form is checked here.
    expect(raw.brand).toMatch(/^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/);
    if (flags.has('avx2') && flags.has('fma')) {
      expect(INT8_ISAS.indexOf(raw.bestIsa)).toBeGreaterThanOrEqual(INT8_ISAS.indexOf('avx2'));
    }
    expect(raw.fp32Isa).toBe(flags.has('avx2') && flags.has('fma') ? 'avx2' : 'scalar');
    if (flags.has('avx512_vnni') && flags.has('avx512bw') && flags.has('avx512vl')) {
      expect(INT8_ISAS.indexOf(raw.bestIsa)).toBeGreaterThanOrEqual(INT8_ISAS.indexOf('avx512-vnni'));
    }
  });

  it('probe() is available and lists the features in details', async () => {
    const flags = cpuinfoFlags();
    const result = await probe();
    expect(result.status, result.reason).toBe('available');
    expect(result.details.bestIsa).toBe(readCpuFeatures().bestIsa);
    expect(result.details.features).toContain('sse4_2');
    if (flags.has('avx2')) expect(result.details.features).toContain('avx2');
    if (flags.has('avx')) expect(result.details.osSupport).toContain('os_avx');
  });

  it('caps the ISA with SAMP_CPU_ISA and never raises it', () => {
    const hardware = readCpuFeatures().hardwareIsa;
    for (const cap of INT8_ISAS) {
      process.env.SAMP_CPU_ISA = cap.toUpperCase().replace('-', '_');
      const raw = readCpuFeatures();
      expect(raw.isaOverride).toMatchObject({ variable: 'SAMP_CPU_ISA', valid: true, cap });
      const expected = INT8_ISAS.indexOf(cap) < INT8_ISAS.indexOf(hardware) ? cap : hardware;
      expect(raw.bestIsa).toBe(expected);
      expect(raw.hardwareIsa).toBe(hardware);
      // The FP32 kernels drop to scalar only for the scalar cap.
      if (cap === 'scalar') expect(raw.fp32Isa).toBe('scalar');
      else expect(raw.fp32Isa).toBe(hardware === 'scalar' ? 'scalar' : 'avx2');
    }
  });

  it('probe() fails on an invalid SAMP_CPU_ISA', async () => {
    process.env.SAMP_CPU_ISA = 'avx1024';
    const result = await probe();
    expect(result.status).toBe('failed');
    expect(result.reason).toContain('SAMP_CPU_ISA="avx1024"');
    expect(readCpuFeatures().isaOverride).toMatchObject({ value: 'avx1024', valid: false });
  });
});

describe('@samp/encoder-cpu-vnni binding loader', () => {
  it('names every path tried and the fix when the binding is missing', async () => {
    process.env[CPU_BINDING_ENV] = '/nonexistent/samp_cpu.node';
    expect(() => loadCpuBinding()).toThrowError(
      expect.objectContaining({ code: 'SAMP_BINDING_NOT_FOUND', pathsTried: ['/nonexistent/samp_cpu.node'] }),
    );
    const result = await probe();
    expect(result.status).toBe('not-built');
    expect(result.reason).toContain('/nonexistent/samp_cpu.node');
    expect(result.reason).toContain('npx -y pnpm@10.34.8 --filter @samp/encoder-cpu-vnni build:native');
  });

  it('reports a file that is not an addon as a load error with its cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samp-binding-'));
    try {
      const path = join(dir, 'samp_cpu.node');
      writeFileSync(path, 'not an ELF file');
      process.env[CPU_BINDING_ENV] = path;
      expect(() => loadCpuBinding()).toThrowError(
        expect.objectContaining({ code: 'SAMP_BINDING_LOAD_FAILED', path, cause: expect.any(Error) }),
      );
      expect((await probe()).status).toBe('failed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
