import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeEncoderConfig } from '@samp/core';
import { loadNativeAddon, nativeAddonCandidates } from '@samp/core';
import type { CudaProbeResult, CudaSelfTestResult } from './cuda-probe-result';

/** One Linear of a layer: null runs it at the session's float precision. */
export type NativeLinearQuant = null | {
  precision: 'int8' | 'fp8';
  /** The static scale of its input (a QuantProfile's activation scale; FP8 puts 127 · scale at 448). */
  scale: number;
};

/** The quantized choices of one layer; `attention` absent runs the attention matmuls in float. */
export interface NativeLayerQuant {
  qkv: NativeLinearQuant;
  attentionOutput: NativeLinearQuant;
  ffnIntermediate: NativeLinearQuant;
  ffnOutput: NativeLinearQuant;
  /** INT8 attention: the static scales of Q, K, V and the probabilities (probs 0: the step 1/127). */
  attention?: { query: number; key: number; value: number; probs: number };
}

/** What `createSession` takes. */
export interface NativeSessionSpec {
  config: NativeEncoderConfig & { layerQuant?: NativeLayerQuant[] };
  /** Every canonical tensor the encoder reads, as FP32 (converted to FP16 on upload for fp16). */
  tensors: Record<string, Float32Array>;
  /** The float parts' precision (quantized layers come from `config.layerQuant`). */
  precision: 'fp32' | 'fp16';
  /** Per-channel scales of the INT8 Linears' weights, by the canonical name the tensors use. */
  weightScales?: Record<string, Float32Array>;
  /** Which GPU (default 0). */
  deviceIndex?: number;
  /** Cap on the run workspace in bytes (default 0: none). */
  memoryLimit?: number;
  /** `auto` (default): a batch shape is captured as a CUDA graph on its second run; `on`; `off`. */
  cudaGraphs?: 'auto' | 'on' | 'off';
}

/** An opaque native session handle. */
export type NativeSessionHandle = { readonly __nativeCudaSession: unique symbol };

/** One padded batch, as the native side takes it. */
export interface NativeBatch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds?: Int32Array;
  batchSize: number;
  sequenceLength: number;
}

/** How a run went on the device. */
export interface NativeRunStats {
  /** Tokens that ran (the real ones, plus the padded ones when they are computed). */
  tokens: number;
  /** Whether the run replayed a CUDA graph. */
  graph: boolean;
  /** GPU time of the encoder's kernels (CUDA events), without the copies in and out. */
  deviceMilliseconds: number;
}

/** What `runSession` resolves to (shapes follow the spec's EncoderOutput). */
export interface NativeRunResult {
  lastHiddenState: Float32Array;
  hiddenStates?: Float32Array[];
  observed?: Record<string, { data: Float32Array; shape: number[] }>;
  stats: NativeRunStats;
}

/** What `benchmarkSession` resolves to: GPU time per forward pass with the batch on the device. */
export interface NativeBenchmarkResult {
  iterations: number;
  tokens: number;
  graph: boolean;
  medianMs: number;
  minMs: number;
  meanMs: number;
}

/** The functions `samp_cuda.node` exports. */
export interface CudaBinding {
  /** Bumped by the native side whenever these exports change shape. */
  readonly abiVersion: number;
  /** Driver, runtime, devices and cuBLASLt; resolves (never rejects) when there is no driver. */
  probe(): Promise<CudaProbeResult>;
  /** Writes a pattern with a kernel and checks it; rejects with a `code` (`SAMP_GPU_UNAVAILABLE`, …). */
  selfTest(deviceIndex: number): Promise<CudaSelfTestResult>;
  /**
   * Free and total bytes of a GPU (`cudaMemGetInfo`: every process's use counts); rejects with a `code`
   * (`SAMP_GPU_UNAVAILABLE` without a driver or device, `SAMP_INVALID_ARGUMENT` for no such device).
   */
  deviceMemory(deviceIndex: number): Promise<{ freeBytes: number; totalBytes: number }>;
  /** Copies the tensors, then uploads them to the GPU on a worker thread. */
  createSession(spec: NativeSessionSpec): Promise<NativeSessionHandle>;
  /** Runs one padded batch on a worker thread (runs of one session are serialised natively). */
  runSession(
    session: NativeSessionHandle,
    input: NativeBatch,
    options: { outputHiddenStates: boolean; computePadding: boolean; observe: string[] },
  ): Promise<NativeRunResult>;
  /** Times forward passes of one batch already on the device. */
  benchmarkSession(
    session: NativeSessionHandle,
    input: NativeBatch,
    options: { computePadding: boolean; warmup: number; iterations: number },
  ): Promise<NativeBenchmarkResult>;
  /** Drops the session's reference; device memory is freed on a worker once no run holds it. Idempotent. */
  disposeSession(session: NativeSessionHandle): Promise<void>;
  sessionInfo(session: NativeSessionHandle): {
    disposed: boolean;
    device?: number;
    precision?: 'fp32' | 'fp16';
    /** Bytes of device memory the weights take. */
    weightBytes?: number;
    /** Bytes of the run workspace (grows to the largest run). */
    workspaceBytes?: number;
    /** CUDA graphs captured so far. */
    graphs?: number;
    /** `tensor-core` (mma.sync, FP16 with head_dim 64), `tensor-core-wmma` or `generic`. */
    attentionKernel?: 'tensor-core' | 'tensor-core-wmma' | 'generic';
  };
}

/** Environment variable naming a `samp_cuda.node` to load instead of the package's build. */
export const CUDA_BINDING_ENV = 'SAMP_CUDA_BINDING';

// src/ (tests, typecheck) and dist/ (published) both sit one level below the package root.
const ADDON = {
  backend: 'cuda',
  addonFile: 'samp_cuda.node',
  packageRoot: resolve(dirname(fileURLToPath(import.meta.url)), '..'),
  envVariable: CUDA_BINDING_ENV,
  abiVersion: 3,
  functions: [
    'probe',
    'selfTest',
    'deviceMemory',
    'createSession',
    'runSession',
    'benchmarkSession',
    'disposeSession',
    'sessionInfo',
  ],
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
