import { DeviceOutOfMemoryError, GpuUnavailableError, InvalidArgumentError } from '@samp/core';
import { loadCudaBinding } from './binding';
import type { CudaSelfTestResult } from './cuda-probe-result';

/**
 * Runs a tiny kernel on a GPU (writes a pattern, reads it back, compares on the host): checks that
 * the driver accepts the addon's machine code or PTX and that memory round-trips.
 * @param deviceIndex which GPU (default 0).
 * @throws GpuUnavailableError (no driver, no device, no kernel image for this GPU),
 *   InvalidArgumentError (no such device), DeviceOutOfMemoryError.
 * @example
 * const { passed, milliseconds } = await selfTest(0);
 */
export async function selfTest(deviceIndex = 0): Promise<CudaSelfTestResult> {
  if (!Number.isInteger(deviceIndex) || deviceIndex < 0) {
    throw new InvalidArgumentError('deviceIndex', `must be a non-negative integer, got ${deviceIndex}`);
  }
  const binding = loadCudaBinding();
  try {
    return await binding.selfTest(deviceIndex);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'SAMP_GPU_UNAVAILABLE') throw new GpuUnavailableError(message, { cause: error });
    if (code === 'SAMP_INVALID_ARGUMENT')
      throw new InvalidArgumentError('deviceIndex', message, { cause: error });
    if (code === 'SAMP_DEVICE_OUT_OF_MEMORY')
      throw new DeviceOutOfMemoryError(`cuda:${deviceIndex}`, undefined, { cause: error });
    throw error;
  }
}
