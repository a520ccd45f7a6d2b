import {
  checkPlanMatches,
  type EncoderBackendV1,
  type EncoderSessionOptions,
  GEMM_NAMES,
  InvalidArgumentError,
  type ModelArtifacts,
  resolveLayerGemms,
} from '@samp/core';
import { loadCpuBinding } from './binding';
import { CpuEncoderSession, type PadPositions } from './cpu-session';
import { fromNativeError } from './native-errors';
import { readSessionSpec } from './native-spec';
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

const INT8_NOT_READY =
  'INT8 is not implemented yet in the cpu backend (the INT8 kernels are being written); use precision fp32';

function checkThreads(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1024) {
    throw new InvalidArgumentError(field, `expected an integer between 0 and 1024, got ${String(value)}`);
  }
  return value;
}

function checkPrecision(model: ModelArtifacts, options: EncoderSessionOptions): void {
  const precision = options.precision ?? 'fp32';
  if (precision === 'int8') throw new InvalidArgumentError('precision', INT8_NOT_READY);
  if (precision !== 'fp32') {
    throw new InvalidArgumentError(
      'precision',
      `the cpu backend runs fp32 (int8 to come); ${String(precision)} is not supported on CPUs`,
    );
  }
  if (options.plan !== undefined) {
    checkPlanMatches(options.plan, model);
    options.plan.layers.forEach((layer, i) => {
      const gemms = resolveLayerGemms(layer, 'fp32');
      for (const gemm of GEMM_NAMES) {
        if (gemms[gemm] === 'fp32') continue;
        const why = gemms[gemm] === 'int8' ? INT8_NOT_READY : `${gemms[gemm]} is not supported on CPUs`;
        throw new InvalidArgumentError(`plan.layers[${i}]`, `GEMM ${gemm} at ${gemms[gemm]}: ${why}`);
      }
    });
  }
}

/**
 * The FP32 CPU backend (`name` 'cpu', `device` 'cpu'): AVX2+FMA kernels when the CPU has them, scalar
 * otherwise or with `SAMP_CPU_ISA=scalar`. Creating it loads nothing; the native addon loads on the
 * first probe or session. Precision `int8` is refused with an InvalidArgumentError until the INT8
 * kernels land.
 * @param options `threads` (default: hardware concurrency), `padPositions` (default `compute`).
 * @example
 * const backend = createCpuBackend({ threads: 4 });
 * await using session = await backend.createSession(await loadModel(dir), { precision: 'fp32' });
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
      checkPrecision(model, sessionOptions);
      const threads =
        sessionOptions.threads === undefined
          ? defaultThreads
          : checkThreads(sessionOptions.threads, 'threads');
      const binding = loadCpuBinding();
      const spec = await readSessionSpec(model, threads);
      let handle: Awaited<ReturnType<typeof binding.createSession>>;
      try {
        handle = await binding.createSession(spec);
      } catch (error) {
        throw fromNativeError(error);
      }
      return new CpuEncoderSession(binding, handle, model, sessionOptions.plan, padPositions);
    },
  };
}
