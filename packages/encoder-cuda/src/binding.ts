import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNativeAddon, nativeAddonCandidates } from '@samp/core';
import type { CudaProbeResult, CudaSelfTestResult } from './cuda-probe-result';

/** The functions `samp_cuda.node` exports. */
export interface CudaBinding {
  /** Bumped by the native side whenever these exports change shape. */
  readonly abiVersion: number;
  /** Driver, runtime, devices and cuBLASLt; resolves (never rejects) when there is no driver. */
  probe(): Promise<CudaProbeResult>;
  /** Writes a pattern with a kernel and checks it; rejects with a `code` (`SAMP_GPU_UNAVAILABLE`, …). */
  selfTest(deviceIndex: number): Promise<CudaSelfTestResult>;
}

/** Environment variable naming a `samp_cuda.node` to load instead of the package's build. */
export const CUDA_BINDING_ENV = 'SAMP_CUDA_BINDING';

// src/ (tests, typecheck) and dist/ (published) both sit one level below the package root.
const ADDON = {
  backend: 'cuda',
  addonFile: 'samp_cuda.node',
  packageRoot: resolve(dirname(fileURLToPath(import.meta.url)), '..'),
  envVariable: CUDA_BINDING_ENV,
  abiVersion: 1,
  functions: ['probe', 'selfTest'],
  buildCommand: 'npx -y pnpm@10.34.8 --filter @samp/encoder-cuda build:native',
  buildNeeds: 'needs the CUDA toolkit: nvcc on PATH; without it the build skips the addon',
} as const;

/**
 * The paths the loader tries, in order: `$SAMP_CUDA_BINDING` alone when it is set, otherwise the
 * package's `build/Release/samp_cuda.node` then `build/Debug/samp_cuda.node`.
 * @param env the environment to read (default `process.env`).
 */
export function cudaBindingCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return nativeAddonCandidates(ADDON, env);
}

/**
 * Loads `samp_cuda.node` from the first candidate that exists (see {@link cudaBindingCandidates}).
 * The addon links the CUDA runtime statically and dlopens cuBLASLt, so it loads on machines
 * without a driver or cuBLAS; `probe()` then says what is missing.
 * @throws BindingNotFoundError listing every path tried and how to build it (the build needs nvcc).
 * @throws BindingLoadError when the file exists but does not load or is a stale build.
 * @example
 * const { devices } = await loadCudaBinding().probe();
 */
export function loadCudaBinding(): CudaBinding {
  return loadNativeAddon<CudaBinding>(ADDON);
}
