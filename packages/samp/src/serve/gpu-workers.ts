import type { EncoderBackendV1 } from '@samp/core';
import type { ModuleImporter } from '../pipeline';
import type { PaddingFreeRequest } from './padding-free';

/** The CUDA backend package: its factory takes a device index and its probe lists the GPUs. */
const CUDA_PACKAGE = '@samp/encoder-cuda';

interface CudaPackage {
  createCudaBackend?: (options: { deviceIndex: number }) => EncoderBackendV1;
  probeCuda?: () => Promise<{ available: boolean; devices: readonly unknown[] }>;
}

/**
 * One backend list per worker that spreads a served model's workers over the machine's GPUs (worker w on
 * GPU w mod count), or `undefined` to let every worker's pipeline choose as usual: fewer than two
 * workers or GPUs, the caller's own `backends`, a device other than `cuda` / `auto`, or no usable CUDA
 * package. Why: `pipeline()` opens its session on GPU 0, so without this N workers would share one GPU.
 * @example
 * const perWorker = await gpuWorkerBackends({ device: 'cuda' }, 4); // on 2 GPUs: GPU 0, 1, 0, 1
 */
export async function gpuWorkerBackends(
  request: PaddingFreeRequest,
  workers: number,
): Promise<(readonly EncoderBackendV1[])[] | undefined> {
  if (request.backends !== undefined || workers < 2) return undefined;
  const device = request.device ?? 'auto';
  if (device !== 'cuda' && device !== 'auto') return undefined;
  const importer: ModuleImporter = request.importer ?? ((specifier) => import(specifier));
  let module: CudaPackage;
  try {
    module = (await importer(CUDA_PACKAGE)) as CudaPackage;
  } catch {
    return undefined;
  }
  const { createCudaBackend, probeCuda } = module;
  if (typeof createCudaBackend !== 'function' || typeof probeCuda !== 'function') return undefined;
  const probe = await probeCuda().catch(() => undefined);
  const count = probe?.available === true ? probe.devices.length : 0;
  if (count < 2) return undefined;
  return Array.from({ length: workers }, (_, w) => [createCudaBackend({ deviceIndex: w % count })]);
}
