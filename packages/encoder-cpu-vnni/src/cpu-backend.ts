import {
  type EncoderBackendV1,
  type EncoderSessionOptions,
  InvalidArgumentError,
  type ModelArtifacts,
} from '@samp/core';
import { loadCpuBinding } from './binding';
import { CpuEncoderSession, type PadPositions } from './cpu-session';
import { fromNativeError } from './native-errors';
import { readSessionSpec } from './native-spec';
import { resolvePrecisionSpec } from './precision-spec';
import { probe } from './probe';

/** The registry name of this backend. */
export const CPU_BACKEND_NAME = 'cpu';

/** Options of {@link createCpuBackend}. */
export interface CpuBackendOptions {
  /** Threads per session when `createSession` gives none (default 0: the hardware concurrency). */
  threads?: number;
  /**
   * `compute` (default): padded positions run through the encoder too, attending to the real tokens only,
   * so every position matches Hugging Face. `skip`: only the real tokens run (padding-free), and padded
   * positions of the outputs are zeros — faster on ragged batches.
   */
  padPositions?: PadPositions;
}

function checkThreads(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1024) {
    throw new InvalidArgumentError(field, `expected an integer between 0 and 1024, got ${String(value)}`);
  }
  return value;
}

/**
 * The CPU backend (`name` 'cpu', `device` 'cpu'): FP32 on AVX2+FMA kernels when the CPU has them, scalar
 * otherwise or with `SAMP_CPU_ISA=scalar`; INT8 per layer from a PrecisionPlan (`int8-full`: every GEMM
 * of the layer, the attention matmuls included; `int8-ffn`: the two FFN GEMMs), `precision: 'int8'` being a uniform
 * `int8-full` plan, with static activation scales from `profile` or dynamic per-row scales without one.
 * Creating it loads nothing; the native addon loads on the first probe or session. fp16/fp8 are refused
 * with UnsupportedPrecisionError.
 * @param options `threads` (default: hardware concurrency), `padPositions` (default `compute`).
 * @example
 * const backend = createCpuBackend({ threads: 4 });
 * await using session = await backend.createSession(await loadModel(dir), { precision: 'int8', profile });
 * const { lastHiddenState } = await session.run(batch);
 */
export function createCpuBackend(options: CpuBackendOptions = {}): EncoderBackendV1 {
  const defaultThreads = checkThreads(options.threads, 'threads');
  const padPositions = options.padPositions ?? 'compute';
  if (padPositions !== 'compute' && padPositions !== 'skip') {
    throw new InvalidArgumentError(
      'padPositions',
      `expected 'compute' or 'skip', got ${String(padPositions)}`,
    );
  }
  return {
    specificationVersion: 'v1',
    name: CPU_BACKEND_NAME,
    device: 'cpu',
    probe,
    async createSession(model: ModelArtifacts, sessionOptions: EncoderSessionOptions = {}) {
      const precision = resolvePrecisionSpec(model, sessionOptions);
      const threads =
        sessionOptions.threads === undefined
          ? defaultThreads
          : checkThreads(sessionOptions.threads, 'threads');
      const binding = loadCpuBinding();
      const spec = await readSessionSpec(model, threads, precision);
      let handle: Awaited<ReturnType<typeof binding.createSession>>;
      try {
        handle = await binding.createSession(spec);
      } catch (error) {
        throw fromNativeError(error);
      }
      return new CpuEncoderSession(binding, handle, model, precision.precision, precision.plan, padPositions);
    },
  };
}
