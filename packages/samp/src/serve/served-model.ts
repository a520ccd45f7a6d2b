import { availableParallelism } from 'node:os';
import { type EncoderBackendV1, InvalidArgumentError } from '@samp/core';
import {
  type Pipeline,
  type PipelineOptions,
  type PipelineResult,
  type PipelineTask,
  pipeline,
  selectBackend,
  TASKS,
  type TaskInputs,
} from '../pipeline';
import { type Batcher, type BatchReport, createBatcher } from './batcher';
import { gpuWorkerBackends } from './gpu-workers';
import { paddingFreeBackends, type ServePadding } from './padding-free';
import type { PredictInput } from './predict-request';
import { recordSessions, type ServedSession } from './served-sessions';

/**
 * One model to serve: a name, the pipeline's options and how many workers run it. Its `batchSize` is
 * the inputs per encoder run (default: the server's `maxBatchSize`): a batch of the batcher is sorted
 * by length and cut into runs of that size, so a smaller value gives runs of more even length.
 */
export interface ServedModelSpec extends PipelineOptions {
  /** The name requests use (`"model": name`); letters, digits, `.`, `_`, `-`. */
  readonly name: string;
  /** `auto` (default: from `config.architectures`) or a task name / alias, as `pipeline()` takes. */
  readonly task?: string;
  /**
   * Workers for this model (default 1): each has its own backend session, and a batch runs on one
   * free worker. On the CPU, `threads` defaults to the cores divided among the workers.
   */
  readonly workers?: number;
  /**
   * `skip` (default): on the CPU backend, batches run padding-free (only real tokens are encoded; the
   * served results are the same, since every head reads real positions only). `compute`: pad positions
   * are computed too. Ignored on a GPU and when `backends` is given (those backends are used as they are).
   */
  readonly padPositions?: ServePadding;
}

/** How a model's requests are batched. */
export interface BatchingOptions {
  readonly maxBatchSize: number;
  readonly batchWindowMs: number;
  readonly maxQueue: number;
  readonly onBatch?: (model: string, report: BatchReport) => void;
}

/** A model being served: its pipelines (one per worker) behind one batcher. */
export interface ServedModel {
  readonly name: string;
  readonly task: PipelineTask;
  /** Which inputs the task takes. */
  readonly accepts: TaskInputs;
  /** The model folder. */
  readonly dir: string;
  /** Label names by id (classification and matching heads), else empty. */
  readonly labels: readonly string[];
  /** The backend the sessions run on. */
  readonly backend: string;
  /**
   * `skip` when the server made its CPU runs padding-free; `compute` otherwise (a GPU, `padPositions:
   * 'compute'`, or the caller's own `backends`, whose own setting applies).
   */
  readonly padPositions: ServePadding;
  readonly workers: number;
  readonly maxLength: number;
  readonly batcher: Batcher<PredictInput, PipelineResult>;
  /** The workers' backend sessions (for their memory); empty once closing. */
  sessions(): readonly ServedSession[];
  /** Finishes queued and running work, then frees the sessions. */
  close(): Promise<void>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Opens `spec.workers` pipelines of a model and puts one batcher in front of them.
 * @throws InvalidArgumentError for a bad name or worker count; `pipeline()`'s errors for the model.
 */
export async function openServedModel(
  spec: ServedModelSpec,
  batching: BatchingOptions,
): Promise<ServedModel> {
  if (typeof spec.name !== 'string' || !NAME.test(spec.name))
    throw new InvalidArgumentError(
      'models[].name',
      `expected 1-64 letters, digits, ".", "_" or "-", got ${JSON.stringify(spec.name)}`,
    );
  const workers = spec.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1)
    throw new InvalidArgumentError(
      `models.${spec.name}.workers`,
      `expected an integer >= 1, got ${String(workers)}`,
    );
  const padPositions = spec.padPositions ?? 'skip';
  if (padPositions !== 'skip' && padPositions !== 'compute')
    throw new InvalidArgumentError(
      `models.${spec.name}.padPositions`,
      `expected 'skip' or 'compute', got ${String(padPositions)}`,
    );
  const { name, task = 'auto', workers: _workers, padPositions: _padPositions, ...options } = spec;
  const backends = padPositions === 'skip' ? await paddingFreeBackends(options) : undefined;
  // On a machine with several GPUs, the workers are spread over them.
  const perWorker = backends === undefined ? await gpuWorkerBackends(options, workers) : undefined;
  // Every worker's pipeline gets its backends through a recorder, so the server can read its session's memory.
  const shared =
    backends ?? options.backends ?? (perWorker === undefined ? await chosenBackend(options) : undefined);
  const recorders = Array.from({ length: workers }, (_, w) => {
    const list = perWorker?.[w] ?? shared;
    return list === undefined ? undefined : recordSessions(list);
  });
  // Workers share the cores rather than each claiming all of them.
  const threads =
    options.threads ?? (workers > 1 ? Math.max(1, Math.floor(availableParallelism() / workers)) : undefined);
  const opened = await Promise.allSettled(
    Array.from({ length: workers }, (_, w) =>
      pipeline(task, {
        ...options,
        ...(recorders[w] === undefined ? {} : { backends: recorders[w].backends }),
        ...(threads === undefined ? {} : { threads }),
        // By default one batch of the batcher is one encoder run.
        batchSize: options.batchSize ?? batching.maxBatchSize,
      }),
    ),
  );
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(opened.map((r) => (r.status === 'fulfilled' ? r.value.dispose() : undefined)));
    throw failed.reason;
  }
  const pipelines = opened.map((r) => (r as PromiseFulfilledResult<Pipeline>).value);
  const first = pipelines[0] as Pipeline;
  const batcher = createBatcher<PredictInput, PipelineResult>({
    name,
    workers,
    maxBatchSize: batching.maxBatchSize,
    batchWindowMs: batching.batchWindowMs,
    maxQueue: batching.maxQueue,
    run: (inputs, worker) => (pipelines[worker] as Pipeline)(inputs),
    ...(batching.onBatch === undefined ? {} : { onBatch: (report) => batching.onBatch?.(name, report) }),
  });
  const id2label = first.model.config.id2label ?? {};
  const labels = Object.keys(id2label)
    .map(Number)
    .sort((a, b) => a - b)
    .map((id) => id2label[id] as string);
  let closing: Promise<void> | undefined;
  return {
    name,
    task: first.task,
    accepts: TASKS[first.task].inputs,
    dir: first.model.dir,
    labels: first.task === 'classification' || first.task === 'text-matching' ? labels : [],
    backend: first.backend.name,
    padPositions: backends === undefined ? 'compute' : 'skip',
    workers,
    maxLength: first.maxLength,
    batcher,
    sessions() {
      if (closing !== undefined) return [];
      return recorders.flatMap((r) => r?.latest() ?? []);
    },
    close() {
      closing ??= batcher.drain().then(async () => {
        await Promise.all(pipelines.map((p) => p.dispose()));
      });
      return closing;
    },
  };
}

/**
 * The backend `pipeline()` would choose for the spec among the installed packages, chosen here so that
 * its sessions can be recorded; `undefined` when the choice fails, so that the pipeline reports the
 * failure in its own order (a broken model before an unusable device).
 */
async function chosenBackend(options: PipelineOptions): Promise<readonly EncoderBackendV1[] | undefined> {
  try {
    const { backend } = await selectBackend(options.device ?? 'auto', {
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.importer === undefined ? {} : { importer: options.importer }),
    });
    return [backend];
  } catch {
    return undefined;
  }
}
