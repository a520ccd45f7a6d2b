// Core's backend conformance suite over every golden fixture model at FP32 (1e-4) and FP16 (3e-3), on
// the GPU machine with `requireAvailable` (a backend that is not available fails there, never skips).
// Without a driver the suite cannot run; instead the backend must say why it is unavailable.
import { describeEncoderBackendConformance } from '@samp/core/testing';
import { expect, it } from 'vitest';
import { createCudaBackend } from '../src/index';
import { hasDriver } from './gpu-gate';

if (hasDriver) {
  describeEncoderBackendConformance('cuda', () => createCudaBackend(), {
    tolerance: { fp32: 1e-4, fp16: 3e-3 },
    precisions: ['fp32', 'fp16'],
    requireAvailable: true,
  });
} else {
  it('without a driver: the cuda backend is unavailable with the CUDA driver error as reason', async () => {
    const backend = createCudaBackend();
    expect(backend).toMatchObject({ specificationVersion: 'v1', name: 'cuda', device: 'cuda' });
    const probe = await backend.probe();
    expect(probe.status).toBe('unavailable');
    expect(probe.reason).toMatch(/^cudaError\w+: .+/);
  });
}
