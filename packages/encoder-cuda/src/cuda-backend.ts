import {
  type EncoderBackendV1,
  type EncoderSessionOptions,
  InvalidArgumentError,
  type ModelArtifacts,
  readNativeWeights,
} from '@samp/core';
import { loadCudaBinding, type NativeSessionHandle } from './binding';
import { CudaEncoderSession, type CudaPadPositions } from './cuda-session';
import { fromNativeError } from './native-errors';
import { resolveCudaPrecision } from './precision-spec';
import { probe } from './probe';

/** The registry name of this backend (and its device). */
export const CUDA_BACKEND_NAME = 'cuda';

/** Options of {@link createCudaBackend}. */
export interface CudaBackendOptions {
  /** The GPU of sessions that name none (default 0). */
  deviceIndex?: number;
  /**
   * `skip` (default): padding removal — only the real tokens of each row run, padded positions of the
   * outputs are zeros. `compute`: padded positions run too (attending to the real tokens only), so every
   * position matches Hugging Face.
   */
  padPositions?: CudaPadPositions;
  /**
   * `auto` (default): a batch shape is captured as a CUDA graph the second time it runs and replayed
   * after that (no launch overhead); `on`: from the first run; `off`: never. Results are identical.
   */
  cudaGraphs?: 'auto' | 'on' | 'off';
  /** Cap in bytes on each session's run workspace (default 0: none); over it a run rejects with DeviceOutOfMemoryError. */
  memoryLimit?: number;
}

/** Free and total bytes of one GPU, as {@link CudaBackend.deviceMemory} reports them. */
export interface CudaDeviceMemory {
  /** `cuda:<index>`. */
  readonly device: string;
  /** Bytes free on the device now. */
  readonly freeBytes: number;
  /** The device's memory in bytes. */
  readonly totalBytes: number;
}

/** The CUDA backend: the backend spec plus a query of the GPUs' memory. */
export interface CudaBackend extends EncoderBackendV1 {
  /**
   * Free and total bytes of a GPU (`cudaMemGetInfo`), every process's allocations counted; creates the
   * GPU's CUDA context in this process when it has none there yet (a session on that GPU already has one).
   * @param deviceIndex which GPU (default: the backend's `deviceIndex`).
   * @throws GpuUnavailableError without a driver or GPU; InvalidArgumentError for a device the machine
   * lacks; BindingNotFoundError / BindingLoadError when the addon is not built.
   * @example
   * const { freeBytes, totalBytes } = await createCudaBackend().deviceMemory(0);
   */
  deviceMemory(deviceIndex?: number): Promise<CudaDeviceMemory>;
}

function checkIndex(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1024) {
    throw new InvalidArgumentError(field, `expected a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function checkChoice<T extends string>(value: unknown, field: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) {
    throw new InvalidArgumentError(
      field,
      `expected ${choices.map((c) => `'${c}'`).join(' or ')}, got ${String(value)}`,
    );
  }
  return value as T;
}

/**
 * The CUDA backend (`name` and `device` 'cuda'): FP32 (no TF32) and FP16 (FP32 accumulation) encoders for
 * every architecture of `@samp/core` on cuBLASLt GEMMs and fused kernels (embedding + LayerNorm, bias +
 * activation, bias + residual + LayerNorm, attention with an online softmax), with padding removal and
 * CUDA graphs. Creating it loads nothing; the addon loads on the first probe, session or `deviceMemory`, and
 * a machine without a driver gets `unavailable` from `probe()` and GpuUnavailableError from
 * `createSession` and `deviceMemory`.
 * @param options `deviceIndex` (default 0), `padPositions` (default `skip`), `cudaGraphs` (default
 * `auto`), `memoryLimit` (default none).
 * @example
 * const backend = createCudaBackend();
 * await using session = await backend.createSession(await loadModel(dir), { precision: 'fp16' });
 * const { lastHiddenState } = await session.run(batch);
 */
export function createCudaBackend(options: CudaBackendOptions = {}): CudaBackend {
  const defaultDevice = checkIndex(options.deviceIndex, 'deviceIndex');
  const padPositions = checkChoice(
    options.padPositions,
    'padPositions',
    ['skip', 'compute'] as const,
    'skip',
  );
  const cudaGraphs = checkChoice(options.cudaGraphs, 'cudaGraphs', ['auto', 'on', 'off'] as const, 'auto');
  const memoryLimit = options.memoryLimit ?? 0;
  if (!Number.isSafeInteger(memoryLimit) || memoryLimit < 0) {
    throw new InvalidArgumentError(
      'memoryLimit',
      `expected a non-negative integer of bytes, got ${String(memoryLimit)}`,
    );
  }
  return {
    specificationVersion: 'v1',
    name: CUDA_BACKEND_NAME,
    device: 'cuda',
    probe,
    async createSession(model: ModelArtifacts, sessionOptions: EncoderSessionOptions = {}) {
      const { precision, floatPrecision, plan, layerQuant, weightScales } = resolveCudaPrecision(
        model,
        sessionOptions,
      );
      const deviceIndex =
        sessionOptions.deviceIndex === undefined
          ? defaultDevice
          : checkIndex(sessionOptions.deviceIndex, 'deviceIndex');
      const binding = loadCudaBinding();
      const { config, tensors } = await readNativeWeights(model);
      let handle: NativeSessionHandle;
      try {
        handle = await binding.createSession({
          config: layerQuant === undefined ? config : { ...config, layerQuant },
          tensors,
          precision: floatPrecision,
          ...(weightScales === undefined ? {} : { weightScales }),
          deviceIndex,
          memoryLimit,
          cudaGraphs,
        });
      } catch (error) {
        throw fromNativeError(error, `cuda:${deviceIndex}`);
      }
      return new CudaEncoderSession(binding, handle, model, precision, plan, padPositions);
    },
    async deviceMemory(index?: number): Promise<CudaDeviceMemory> {
      const deviceIndex = index === undefined ? defaultDevice : checkIndex(index, 'deviceIndex');
      const device = `cuda:${deviceIndex}`;
      try {
        const { freeBytes, totalBytes } = await loadCudaBinding().deviceMemory(deviceIndex);
        return { device, freeBytes, totalBytes };
      } catch (error) {
        throw fromNativeError(error, device);
      }
    },
  };
}
