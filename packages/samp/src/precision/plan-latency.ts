import { performance } from 'node:perf_hooks';
import type {
  EncoderBackendV1,
  EncoderInput,
  EncoderSession,
  ModelArtifacts,
  QuantProfile,
} from '@samp/core';
import type { BasePrecision, Candidate, LatencyMeasurer } from '@samp/recommender';
import type { WordPieceTokenizer } from '@samp/tokenizer';
import { planDocument } from './plan-document';

/**
 * A batch of `batchSize` rows of exactly `sequenceLength` real tokens, made of the texts' own token ids
 * (repeated as needed), so that timing sees the real shape without padding.
 */
export function timingBatch(
  tokenizer: WordPieceTokenizer,
  texts: readonly string[],
  model: ModelArtifacts,
  batchSize: number,
  sequenceLength: number,
): EncoderInput {
  const ids: number[] = [];
  for (const text of texts) {
    for (const id of tokenizer.encode(text).ids) ids.push(id);
    if (ids.length >= batchSize * sequenceLength) break;
  }
  if (ids.length === 0) ids.push(0);
  const n = batchSize * sequenceLength;
  const input: EncoderInput = {
    inputIds: Int32Array.from({ length: n }, (_, i) => ids[i % ids.length] as number),
    attentionMask: new Int32Array(n).fill(1),
    batchSize,
    sequenceLength,
  };
  if (model.config.typeVocabSize > 1) input.tokenTypeIds = new Int32Array(n);
  return input;
}

/**
 * The median of the fastest half of the runs: other processes only ever add time, so the slow tail is
 * load, not the plan.
 */
export function robustTime(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  const half = sorted.slice(0, Math.max(1, Math.ceil(sorted.length / 2)));
  return half[Math.floor(half.length / 2)] as number;
}

/** A session that can time its encoder alone on the device (the CUDA backend's `benchmark`). */
interface DeviceTimedSession {
  benchmark(
    input: EncoderInput,
    options: { warmup: number; iterations: number },
  ): Promise<{ medianMs: number }>;
}

function isDeviceTimed(session: EncoderSession): session is EncoderSession & DeviceTimedSession {
  return typeof (session as Partial<DeviceTimedSession>).benchmark === 'function';
}

/**
 * One timing of a plan's session: the encoder's device time (CUDA events, the batch already on the GPU)
 * where the session offers `benchmark`, so host-side copies and scheduling — the same for every plan,
 * and at sub-millisecond GPU runs larger than the differences between plans — stay out; the wall time
 * of `run()` otherwise (CPU backends, where it is the encoder's time).
 */
async function timeOnce(session: EncoderSession, input: EncoderInput): Promise<number> {
  if (isDeviceTimed(session)) return (await session.benchmark(input, { warmup: 1, iterations: 5 })).medianMs;
  const t0 = performance.now();
  await session.run(input);
  return performance.now() - t0;
}

/** Options of {@link createLatencyMeasurer}. */
export interface LatencyMeasurerOptions {
  readonly backend: EncoderBackendV1;
  readonly model: ModelArtifacts;
  readonly input: EncoderInput;
  readonly profile?: QuantProfile;
  readonly threads?: number;
  /** Timed runs per plan after one warm-up (default 10). */
  readonly runs?: number;
  /** The sessions' precision for what a plan leaves unset, as the recommender's base (default `fp32`). */
  readonly basePrecision?: BasePrecision;
}

/**
 * Times plans on the backend: sessions of up to 8 plans at a time, run in interleaved rounds so that a
 * change of load on a shared machine hits every plan of the round alike.
 */
export function createLatencyMeasurer(o: LatencyMeasurerOptions): LatencyMeasurer {
  const runs = o.runs ?? 10;
  const sessionOptions = {
    precision: o.basePrecision ?? 'fp32',
    ...(o.profile === undefined ? {} : { profile: o.profile }),
    ...(o.threads === undefined ? {} : { threads: o.threads }),
  };
  return async (plans: readonly Candidate[]): Promise<number[]> => {
    const result: number[] = [];
    for (let start = 0; start < plans.length; start += 8) {
      const sessions: EncoderSession[] = [];
      try {
        for (const plan of plans.slice(start, start + 8)) {
          const doc = planDocument(o.model, plan, o.backend.device);
          sessions.push(await o.backend.createSession(o.model, { plan: doc, ...sessionOptions }));
        }
        for (const s of sessions) await s.run(o.input);
        const times = sessions.map(() => [] as number[]);
        for (let round = 0; round < runs; round++) {
          for (const [i, s] of sessions.entries()) times[i]?.push(await timeOnce(s, o.input));
        }
        result.push(...times.map(robustTime));
      } finally {
        for (const s of sessions) await s.dispose();
      }
    }
    return result;
  };
}
