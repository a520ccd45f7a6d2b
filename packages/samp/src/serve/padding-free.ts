import type { EncoderBackendV1 } from '@samp/core';
import { type ModuleImporter, type PipelineLogger, selectBackend } from '../pipeline';
import type { DeviceRequest } from '../pipeline/select-backend';

/**
 * How a served model's CPU runs treat padding: `skip` (padding-free: only the real tokens of a batch
 * run through the encoder) or `compute` (every row is computed to the batch's longest, as Hugging Face
 * does). Served results are the same either way, since every head reads real positions only.
 */
export type ServePadding = 'compute' | 'skip';

/** The CPU backend package, whose `createCpuBackend` takes `padPositions`. */
const CPU_PACKAGE = '@samp/encoder-cpu-vnni';

interface CpuPackage {
  createCpuBackend?: (options: { padPositions: ServePadding }) => EncoderBackendV1;
}

/** What {@link paddingFreeBackends} needs of a model spec. */
export interface PaddingFreeRequest {
  readonly device?: DeviceRequest;
  readonly backends?: readonly EncoderBackendV1[];
  readonly importer?: ModuleImporter;
  readonly logger?: PipelineLogger;
}

/**
 * The backends a served model's pipeline should choose from so that its CPU runs are padding-free, or
 * `undefined` to let the pipeline choose as usual: when the spec injects its own `backends` (they are
 * the caller's, configured as the caller wants), names CUDA, or `auto` picks a GPU; and when the CPU
 * package cannot be loaded (the pipeline then reports why, as it would without this).
 * Why this matters: a batch pads every row to its longest, and on the CPU the pad positions cost as much
 * as real tokens (about a third of the work on TNEWS titles at batch 32), which is what kept dynamic
 * batching from paying there (bench/RESULTS.md, "samp serve").
 * @param request the spec's `device` (default `auto`), `backends`, `importer` and `logger`.
 * @example
 * const backends = await paddingFreeBackends({ device: 'cpu' }); // [the cpu backend, padPositions 'skip']
 */
export async function paddingFreeBackends(
  request: PaddingFreeRequest,
): Promise<readonly EncoderBackendV1[] | undefined> {
  if (request.backends !== undefined) return undefined;
  const device = request.device ?? 'auto';
  const importer: ModuleImporter = request.importer ?? ((specifier) => import(specifier));
  if (device === 'auto') {
    // Ask first which backend `auto` picks here: a GPU keeps its own backend.
    try {
      const selected = await selectBackend('auto', {
        importer,
        ...(request.logger === undefined ? {} : { logger: request.logger }),
      });
      if (selected.backend.device !== 'cpu' || selected.backend.name !== 'cpu') return undefined;
    } catch {
      return undefined;
    }
  } else if (device !== 'cpu') return undefined;
  let module: CpuPackage;
  try {
    module = (await importer(CPU_PACKAGE)) as CpuPackage;
  } catch {
    return undefined;
  }
  if (typeof module.createCpuBackend !== 'function') return undefined;
  return [module.createCpuBackend({ padPositions: 'skip' })];
}
