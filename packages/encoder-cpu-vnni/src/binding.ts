import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type NativeEncoderConfig as CoreNativeEncoderConfig,
  loadNativeAddon,
  nativeAddonCandidates,
} from '@samp/core';
import type { CpuProbeResult } from './cpu-features';

/**
 * The encoder's shape as the native side takes it (from `@samp/core`'s ModelConfig). The addon checks
 * every number before converting it: integer fields must be integers from 1 (`typeVocabSize`,
 * `padTokenId`: from 0) to 2^31 − 1, `layerSources[i]` an integer in 0…numHiddenLayers − 1, and
 * `layerNormEps` a positive number within float32's normal range; anything else (NaN, ±Infinity, a
 * fraction, 2^32 + 1) is refused with `SAMP_INVALID_ARGUMENT` naming the field (e.g.
 * `config.layerSources[1]`).
 */
export interface NativeEncoderConfig extends CoreNativeEncoderConfig {
  /** INT8 choices per layer; absent: every GEMM FP32. */
  layerQuant?: NativeLayerQuant[];
}

/**
 * One GEMM: -1 FP32, 0 INT8 with dynamic per-row input scales, > 0 INT8 with this static input scale (a
 * finite float32 of at least 2^−126; NaN, Infinity, negative or tinier scales are refused).
 */
export type NativeGemmQuant = number;

/**
 * The INT8 attention matmuls of a layer (QKᵀ and probs·V together): the scales of their int8 inputs, each
 * > 0 static (from a QuantProfile) or 0 dynamic (Q and K per token and head, V per channel; probabilities
 * at the fixed step 1/127).
 */
export interface NativeAttentionQuant {
  query: number;
  key: number;
  value: number;
  probs: number;
}

/** The four Linears of a layer, and its attention matmuls (absent: FP32). */
export interface NativeLayerQuant {
  qkv: NativeGemmQuant;
  attentionOutput: NativeGemmQuant;
  ffnIntermediate: NativeGemmQuant;
  ffnOutput: NativeGemmQuant;
  attention?: NativeAttentionQuant;
}

/**
 * What `createSession` takes: the config, every canonical tensor it needs, the thread count (an integer
 * 0…1024; 0: all cores).
 */
export interface NativeSessionSpec {
  config: NativeEncoderConfig;
  tensors: Record<string, Float32Array>;
  threads: number;
  /** Per-channel INT8 weight scales (a QuantProfile's `weights`) by canonical weight name. */
  weightScales?: Record<string, Float32Array>;
  /**
   * The INT8 kernels to use (`scalar`, `avx2`, …; must be runnable here). Default: the best this CPU
   * runs under `SAMP_CPU_ISA`. Tests set it to compare ISAs (bit-identical) in one process.
   */
  int8Isa?: string;
}

/** An opaque native session handle. */
export type NativeSessionHandle = { readonly __nativeSession: unique symbol };

/** What `runSession` resolves to (shapes follow the spec's EncoderOutput). */
export interface NativeRunResult {
  lastHiddenState: Float32Array;
  hiddenStates?: Float32Array[];
  observed?: Record<string, { data: Float32Array; shape: number[] }>;
}

/** The functions `samp_cpu.node` exports. */
export interface CpuBinding {
  /** Bumped by the native side whenever these exports change shape. */
  readonly abiVersion: number;
  /** Reads CPUID/XCR0, asks for AMX permission on Linux, applies `SAMP_CPU_ISA`. Synchronous (µs). */
  probe(): CpuProbeResult;
  /**
   * Copies the tensors, then packs them on a worker thread. Bad arguments throw synchronously. The
   * session's packed weights and kept workspace are reported to V8 as external memory (withdrawn on
   * dispose or when the handle is collected), so undisposed sessions make the GC hurry.
   */
  createSession(spec: NativeSessionSpec): Promise<NativeSessionHandle>;
  /**
   * Runs one padded batch on a worker thread (runs of one session are serialised natively).
   * `batchSize` and `sequenceLength` are integers ≥ 1 with at most `MAX_TOKENS_PER_RUN` (65,536) padded
   * tokens in all, checked from the sizes before any array is read (`SAMP_INPUT_TOO_LONG`).
   */
  runSession(
    session: NativeSessionHandle,
    input: {
      inputIds: Int32Array;
      attentionMask: Int32Array;
      tokenTypeIds?: Int32Array;
      batchSize: number;
      sequenceLength: number;
    },
    options: { outputHiddenStates: boolean; computePadding: boolean; observe: string[] },
  ): Promise<NativeRunResult>;
  /** Drops the session's memory (once the runs in flight finish); idempotent. */
  disposeSession(session: NativeSessionHandle): void;
  sessionInfo(session: NativeSessionHandle): {
    disposed: boolean;
    threads?: number;
    isa?: 'avx2' | 'scalar';
    /** The INT8 kernels' ISA (`scalar`, `avx2`, `avx-vnni`, `avx512-vnni`, `amx`). */
    int8Isa?: string;
    /** Bytes of the packed Linear weights (FP32 and INT8). */
    weightBytes?: number;
    /**
     * Bytes of activation scratch the session keeps between runs: what its recent runs needed; a run
     * leaving over 64 MiB, more than twice what any of the 8 runs before it needed, frees it all.
     */
    workspaceBytes?: number;
  };
}

/** Environment variable naming a `samp_cpu.node` to load instead of the package's build. */
export const CPU_BINDING_ENV = 'SAMP_CPU_BINDING';

// src/ (tests, typecheck) and dist/ (published) both sit one level below the package root.
const ADDON = {
  backend: 'cpu-vnni',
  addonFile: 'samp_cpu.node',
  packageRoot: resolve(dirname(fileURLToPath(import.meta.url)), '..'),
  envVariable: CPU_BINDING_ENV,
  abiVersion: 4,
  functions: ['probe', 'createSession', 'runSession', 'disposeSession', 'sessionInfo'],
  buildCommand: 'npx -y pnpm@10.34.8 --filter @samp/encoder-cpu-vnni build:native',
  buildNeeds: 'needs CMake >= 3.24 and a C++17 compiler',
} as const;

/**
 * The paths the loader tries, in order: `$SAMP_CPU_BINDING` alone when it is set, otherwise the
 * package's `build/Release/samp_cpu.node` then `build/Debug/samp_cpu.node`.
 * @param env the environment to read (default `process.env`).
 */
export function cpuBindingCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return nativeAddonCandidates(ADDON, env);
}

/**
 * Loads `samp_cpu.node` from the first candidate that exists (see {@link cpuBindingCandidates}).
 * @throws BindingNotFoundError listing every path tried and how to build it.
 * @throws BindingLoadError when the file exists but does not load or is a stale build.
 * @example
 * const features = loadCpuBinding().probe().features;
 */
export function loadCpuBinding(): CpuBinding {
  return loadNativeAddon<CpuBinding>(ADDON);
}
