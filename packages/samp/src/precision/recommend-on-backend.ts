import {
  type EncoderBackendV1,
  type GemmName,
  InvalidArgumentError,
  type ModelArtifacts,
  type QuantProfile,
} from '@samp/core';
import {
  type Candidate,
  createOutputsEvaluator,
  type EvaluationSplit,
  type Recommendation,
  type RecommendProgress,
  recommend,
} from '@samp/recommender';
import { type PipelineInput, type PipelineTask, pipeline } from '../pipeline';
import { type BasePrecisionChoice, chooseBasePrecision } from './base-precision';
import { planDocument, probePrecisions } from './plan-document';
import { createLatencyMeasurer, timingBatch } from './plan-latency';
import { switchingBackend } from './switching-backend';

/**
 * The four Linears: the GEMMs searched one by one. Neither backend takes one attention matmul in int8
 * alone (the cpu's follow the layer precision; CUDA runs the pair together), so they are left to int8-full.
 */
const LINEAR_GEMMS: readonly GemmName[] = ['qkv', 'attention-output', 'ffn-intermediate', 'ffn-output'];

/** Why the attention matmuls are not searched one by one, per backend. */
const ATTENTION_PAIR_REASON: Readonly<Record<string, string>> = {
  cpu: 'on the cpu backend the attention matmuls follow the layer precision, not a per-GEMM choice',
  cuda: 'on the cuda backend the attention matmuls run together, both int8 (int8-full) or both float',
};

/** Options of {@link recommendOnBackend}. */
export interface BackendRecommendOptions {
  /** `classification` or `text-matching`: the tasks whose heads give logits to score. */
  readonly task: PipelineTask;
  readonly model: ModelArtifacts;
  readonly backend: EncoderBackendV1;
  /** Static INT8 scales (default: the backend's dynamic scales). */
  readonly profile?: QuantProfile;
  readonly threads?: number;
  /** The inputs of the choose and held-out splits. */
  readonly inputs: Readonly<Record<EvaluationSplit, readonly PipelineInput[]>>;
  /** Gold class ids per split; without them the score is agreement with the base plan (label-free). */
  readonly labels?: Readonly<Record<EvaluationSplit, readonly number[]>>;
  /**
   * The precision of unquantized layers: `auto` (default) is fp16 on a CUDA backend that runs it, else
   * fp32 (see `chooseBasePrecision`); drops are relative to the all-base plan.
   */
  readonly basePrecision?: BasePrecisionChoice;
  readonly batchSize: number;
  readonly sequenceLength: number;
  /** Fraction (0.01 = one point): the fastest plan within it. */
  readonly maxAccuracyDrop?: number;
  /** The most accurate plan predicted within it. */
  readonly maxLatencyMs?: number;
  /** Search GEMM by GEMM too (default false). */
  readonly perGemm?: boolean;
  /** Greedy search besides SAMP's prefix plans (default true). */
  readonly greedy?: boolean;
  /** Timed runs per plan (default 10). */
  readonly latencyRuns?: number;
  /** A latency cache file, keyed by `deviceName` and the scales' kind. */
  readonly latencyCache?: { readonly file: string; readonly deviceName: string };
  readonly onProgress?: (progress: RecommendProgress) => void;
}

/**
 * Runs the recommender against a real backend: each plan gets its own session, scored through one
 * pipeline of the task on both splits, and timed at the batch shape with the data's own tokens. The base
 * precision comes from the backend (fp16 on CUDA, fp32 on the CPU) unless `basePrecision` names one, and
 * the modes tried are the quantized precisions the backend runs beside it (never the base itself).
 * @throws InvalidArgumentError when the task's head gives no logits to score; UnsupportedPrecisionError
 * when the backend does not run the `basePrecision` asked for.
 * @example
 * const rec = await recommendOnBackend({ task: 'classification', model, backend, inputs, batchSize: 32,
 *   sequenceLength: 64, maxAccuracyDrop: 0.01 });
 */
export async function recommendOnBackend(o: BackendRecommendOptions): Promise<Recommendation> {
  const { model, backend } = o;
  const basePrecision = await chooseBasePrecision(backend, model, {
    ...(o.basePrecision === undefined ? {} : { requested: o.basePrecision }),
    ...(o.profile === undefined ? {} : { profile: o.profile }),
    ...(o.threads === undefined ? {} : { threads: o.threads }),
  });
  const { runnable, excluded } = await probePrecisions(backend, model, o.profile, o.threads, basePrecision);
  let gemms: GemmName[] = [];
  if (o.perGemm === true) {
    gemms = [...LINEAR_GEMMS];
    excluded.push({
      precision: 'int8 attention-scores, attention-context (per GEMM)',
      reason:
        ATTENTION_PAIR_REASON[backend.device] ??
        `the ${backend.name} backend's attention matmuls are searched with the layer precision only`,
    });
  }
  const scales = {
    ...(o.profile === undefined ? {} : { profile: o.profile }),
    ...(o.threads === undefined ? {} : { threads: o.threads }),
  };
  // Unset layers at the base: a quantized-only plan on CUDA then keeps its float parts at the base too.
  const sessionOptions = { precision: basePrecision, ...scales };
  const switching = switchingBackend(backend);
  const planned = await pipeline(o.task, {
    model: model.dir,
    backends: [switching.backend],
    maxLength: o.sequenceLength,
    batchSize: o.batchSize,
  });
  try {
    const outputs = async (plan: Candidate, split: EvaluationSplit): Promise<number[][]> => {
      const session = await backend.createSession(model, {
        plan: planDocument(model, plan, backend.device),
        ...sessionOptions,
      });
      switching.use(session);
      try {
        const results = (await planned(o.inputs[split])) as { logits?: number[] }[];
        return results.map((r, i) => {
          if (!Array.isArray(r.logits))
            throw new InvalidArgumentError('model', `the ${o.task} head gave no logits for input ${i}`);
          return r.logits;
        });
      } finally {
        switching.use(undefined);
        await session.dispose();
      }
    };
    const texts = [...o.inputs.choose, ...o.inputs['held-out']].map((x) =>
      typeof x === 'string' ? x : x.text,
    );
    const measureLatency = createLatencyMeasurer({
      backend,
      model,
      input: timingBatch(planned.tokenizer, texts, model, o.batchSize, o.sequenceLength),
      ...scales,
      basePrecision,
      ...(o.latencyRuns === undefined ? {} : { runs: o.latencyRuns }),
    });
    return await recommend({
      model,
      device: backend.device,
      basePrecision,
      batchSize: o.batchSize,
      sequenceLength: o.sequenceLength,
      evaluate: createOutputsEvaluator({
        outputs,
        basePrecision,
        ...(o.labels === undefined ? {} : { labels: o.labels }),
      }),
      metric: o.labels === undefined ? 'agreement' : 'accuracy',
      measureLatency,
      precisions: runnable,
      excluded,
      gemms,
      greedy: o.greedy !== false,
      ...(o.maxAccuracyDrop === undefined ? {} : { maxAccuracyDrop: o.maxAccuracyDrop }),
      ...(o.maxLatencyMs === undefined ? {} : { maxLatencyMs: o.maxLatencyMs }),
      ...(o.latencyCache === undefined
        ? {}
        : {
            latencyCache: {
              file: o.latencyCache.file,
              key: {
                device: o.latencyCache.deviceName,
                variant: o.profile === undefined ? 'dynamic scales' : 'static scales',
              },
            },
          }),
      ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }),
    });
  } finally {
    await planned.dispose();
  }
}
