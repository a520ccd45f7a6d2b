import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCudaBinding, probe, probeCuda, selfTest } from '../src/index';

// This suite runs after `pnpm build`: it loads the real addon (built when nvcc is present, as on
// CI). When it is not built the first test fails with BindingNotFoundError's message.
// The branch is chosen by the driver's device node; each branch asserts, nothing is skipped.
const hasDriver = existsSync('/dev/nvidiactl');

describe('@samp/encoder-cuda probe', () => {
  it('loads the built addon (which links no driver, cudart or cuBLAS)', async () => {
    const binding = loadCudaBinding(); // throws BindingNotFoundError when `build:native` has not run
    expect(binding.abiVersion).toBe(3);
    const raw = await probeCuda();
    expect(raw.runtimeVersion).toBeGreaterThanOrEqual(12000);
    if (raw.cublasLt.found) {
      expect(raw.cublasLt.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(raw.cublasLt.path).toMatch(/libcublasLt/);
    } else {
      expect(raw.cublasLt.tried).toEqual(
        expect.arrayContaining(['libcublasLt.so.13', 'libcublasLt.so.12', 'libcublasLt.so']),
      );
      expect(raw.cublasLt.reason).toMatch(/libcublasLt\.so\.13/);
    }
  });

  if (!hasDriver) {
    it('without a driver: probe() is unavailable with the CUDA driver error as reason', async () => {
      const raw = await probeCuda();
      expect(raw.available).toBe(false);
      expect(raw.devices).toEqual([]);
      expect(raw.driverVersion).toBe(0);
      const result = await probe();
      expect(result.status).toBe('unavailable');
      expect(result.reason).toBe(raw.reason);
      expect(result.reason).toMatch(/^cudaError\w+: .+/);
      expect(result.details).toMatchObject({
        deviceCount: 0,
        driverVersion: 'none',
        cudaError: raw.errorName,
      });
    });

    it('without a driver: selfTest rejects with GpuUnavailableError', async () => {
      await expect(selfTest(0)).rejects.toMatchObject({
        code: 'SAMP_GPU_UNAVAILABLE',
        name: 'GpuUnavailableError',
      });
    });
  } else {
    it('with a driver: lists a device and passes the kernel self-test', async () => {
      const raw = await probeCuda();
      expect(raw.available, raw.reason).toBe(true);
      expect(raw.devices.length).toBeGreaterThan(0);
      for (const d of raw.devices) {
        expect(d.name).not.toBe('');
        expect(d.computeCapability).toMatch(/^\d+\.\d+$/);
        expect(d.totalMemory).toBeGreaterThan(0);
      }
      const result = await probe();
      if (raw.cublasLt.found) expect(result.status).toBe('available');
      else
        expect(result).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('cuBLASLt') });
      const test = await selfTest(0);
      expect(test).toMatchObject({ device: 0, mismatches: 0, passed: true });
      await expect(selfTest(raw.devices.length)).rejects.toMatchObject({ code: 'SAMP_INVALID_ARGUMENT' });
    });
  }

  it('rejects a malformed device index before reaching the GPU', async () => {
    await expect(selfTest(-1)).rejects.toMatchObject({ code: 'SAMP_INVALID_ARGUMENT' });
  });
});
