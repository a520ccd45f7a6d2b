import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BindingLoadError, BindingNotFoundError } from '@samp/core';
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

const BACKEND = 'cuda';
const ADDON_FILE = 'samp_cuda.node';
const ABI_VERSION = 1;
const BUILD_COMMAND = 'npx -y pnpm@10.34.8 --filter @samp/encoder-cuda build:native';

// src/ (tests, typecheck) and dist/ (published) both sit one level below the package root.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const requireAddon = createRequire(import.meta.url);
const loaded = new Map<string, CudaBinding>();

/**
 * The paths the loader tries, in order: `$SAMP_CUDA_BINDING` alone when it is set, otherwise the
 * package's `build/Release/samp_cuda.node` then `build/Debug/samp_cuda.node`.
 * @param env the environment to read (default `process.env`).
 */
export function cudaBindingCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env[CUDA_BINDING_ENV];
  if (override) return [resolve(override)];
  return ['Release', 'Debug'].map((config) => join(packageRoot, 'build', config, ADDON_FILE));
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
  const candidates = cudaBindingCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    const fix = process.env[CUDA_BINDING_ENV]
      ? `${CUDA_BINDING_ENV} is set: point it at a built ${ADDON_FILE}, or unset it to use the package's build (\`${BUILD_COMMAND}\`).`
      : `Fix: run \`${BUILD_COMMAND}\` on a machine with the CUDA toolkit (nvcc on PATH; without it the build skips the addon), or set ${CUDA_BINDING_ENV} to a built ${ADDON_FILE}.`;
    throw new BindingNotFoundError(BACKEND, candidates, fix);
  }
  const cached = loaded.get(path);
  if (cached) return cached;

  let binding: Partial<CudaBinding>;
  try {
    binding = requireAddon(path) as Partial<CudaBinding>;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new BindingLoadError(BACKEND, path, `${reason}; rebuild with \`${BUILD_COMMAND}\``, { cause });
  }
  if (
    binding.abiVersion !== ABI_VERSION ||
    typeof binding.probe !== 'function' ||
    typeof binding.selfTest !== 'function'
  ) {
    throw new BindingLoadError(
      BACKEND,
      path,
      `it exports abiVersion ${String(binding.abiVersion)}, this package needs ${ABI_VERSION} (a stale build?); rebuild with \`${BUILD_COMMAND}\``,
    );
  }
  loaded.set(path, binding as CudaBinding);
  return binding as CudaBinding;
}
