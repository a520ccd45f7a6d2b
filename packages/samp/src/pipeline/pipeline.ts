import { resolve } from 'node:path';
import { applySmoothing } from '@samp/calibration';
import {
  checkPlanMatches,
  checkProfileMatches,
  type EncoderBackendV1,
  type EncoderInput,
  type EncoderSession,
  type EncoderSessionOptions,
  type HeadContext,
  type HeadCreateOptions,
  type HeadInstance,
  type HeadV1,
  InvalidArgumentError,
  isSessionPrecision,
  loadModel,
  MAX_TOKENS_PER_RUN,
  type ModelArtifacts,
  maxSequenceLength,
  type PrecisionPlan,
  type QuantProfile,
  readPrecisionPlan,
  readQuantProfile,
  SessionDisposedError,
  type SessionPrecision,
  type SkippedBackend,
} from '@samp/core';
import { type Encoding, fromModelDir, packBatch, type WordPieceTokenizer } from '@samp/tokenizer';
import {
  type AutoPrecision,
  type AutoPrecisionOptions,
  resolveAutoPrecision,
} from '../precision/auto-precision';
import { TaskNotSupportedError } from './errors';
import { planBatches } from './plan-batches';
import {
  type DeviceRequest,
  type ModuleImporter,
  type PipelineLogger,
  selectBackend,
} from './select-backend';
import {
  autoTask,
  PIPELINE_TASKS,
  type PipelineResult,
  type PipelineTask,
  type PipelineTaskResults,
  TASKS,
  taskByName,
} from './tasks';

/** The `precision: 'auto'` options of a pipeline's options. */
function autoOptionsOf(o: PipelineOptions): AutoPrecisionOptions {
  return {
    ...(o.calibrationData === undefined ? {} : { calibrationData: o.calibrationData }),
    ...(o.accuracyDrop === undefined ? {} : { accuracyDrop: o.accuracyDrop }),
    ...(o.latencyMs === undefined ? {} : { latencyMs: o.latencyMs }),
    ...(o.cacheDir === undefined ? {} : { cacheDir: o.cacheDir }),
  };
}

/** One input: a text, or a text pair as `{ text, text_pair }` (`text_pair` absent or null: one text). */
export type PipelineInput = string | { readonly text: string; readonly text_pair?: string | null };

/** Options of {@link pipeline}. */
export interface PipelineOptions extends AutoPrecisionOptions {
  /** A Hugging Face model folder (config.json, weights, vocab.txt or tokenizer.json). */
  readonly model: string;
  /**
   * `'auto'` (default: CUDA, else the CPU, logging why a backend was skipped), `'cpu'` or `'cuda'`
   * (never falls back: a typed error says why it cannot be used), or devices / backend names to try in
   * order.
   */
  readonly device?: DeviceRequest;
  /**
   * The precision of every layer the plan does not set (default `fp32`), or `'auto'`: calibrate on
   * `calibrationData`, let the recommender choose a plan on the chosen backend, and cache both next to
   * the model (see {@link AutoPrecisionOptions}).
   */
  readonly precision?: SessionPrecision | 'auto';
  /** A QuantProfile (or the path of its JSON file), for INT8 layers. */
  readonly profile?: QuantProfile | string;
  /** A PrecisionPlan (or the path of its JSON file); wins over `precision` for the layers it sets. */
  readonly plan?: PrecisionPlan | string;
  /** CPU threads of the session (default: the backend's choice). */
  readonly threads?: number;
  /** Inputs per encoder run (default 32); inputs are sorted by length before they are batched. */
  readonly batchSize?: number;
  /**
   * Padded tokens per encoder run (default `MAX_TOKENS_PER_RUN`, 65,536, what a session accepts by
   * default): a batch of `batchSize` inputs whose rows × longest row would exceed it is split into
   * smaller runs.
   */
  readonly maxBatchTokens?: number;
  /**
   * Tokens per input, special tokens included; longer inputs are truncated `longest_first` as the
   * tokenizer does (default: the tokenizer's `model_max_length`, at most the model's positions).
   */
  readonly maxLength?: number;
  /** Backends to choose from instead of the installed backend packages (testing, third-party backends). */
  readonly backends?: readonly EncoderBackendV1[];
  /** Told which backend runs and why others were skipped (default: nobody; samp never prints). */
  readonly logger?: PipelineLogger;
  /**
   * Options for the task's head, e.g. `{ decoding: 'viterbi' }` (token classification),
   * `{ threshold: 0.3 }` (multi-label), `{ pooling: 'mean' }` (feature extraction).
   */
  readonly headOptions?: HeadCreateOptions;
  /**
   * A head to decode with instead of the task's own: any package implementing the public `HeadV1`
   * spec (a third-party head). The task still decides which inputs are accepted.
   */
  readonly head?: HeadV1<unknown>;
  /** How backend packages are imported (default: dynamic `import()`); tests inject their own. */
  readonly importer?: ModuleImporter;
}

/**
 * A loaded model, ready to run: call it with a text (or pair) or an array of them. Arrays are sorted by
 * length into batches and the results come back in input order. Dispose it when done.
 */
export interface Pipeline<Output = PipelineResult> {
  (input: PipelineInput): Promise<Output>;
  (inputs: readonly PipelineInput[]): Promise<Output[]>;
  readonly task: PipelineTask;
  readonly model: ModelArtifacts;
  readonly tokenizer: WordPieceTokenizer;
  /** The backend the session runs on. */
  readonly backend: EncoderBackendV1;
  /** Backends passed over while choosing (`device: 'auto'` or a list), and why. */
  readonly skippedBackends: readonly SkippedBackend[];
  readonly maxLength: number;
  readonly batchSize: number;
  /** The most padded tokens of one encoder run (see `PipelineOptions.maxBatchTokens`). */
  readonly maxBatchTokens: number;
  /** With `precision: 'auto'`: the plan and profile chosen (or read from the cache) and their files. */
  readonly autoPrecision?: AutoPrecision;
  /** Frees the session and the head; waits for calls in flight. Idempotent. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const DEFAULT_BATCH_SIZE = 32;

/**
 * Inputs tokenized at once by a call with an array: a huge array is encoded, batched and run one window
 * at a time, so that its token arrays never all exist together (sorting by length happens per window).
 */
export function pipelineWindowSize(batchSize: number): number {
  return Math.max(1024, 16 * batchSize);
}

function checkInteger(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new InvalidArgumentError(name, `expected an integer >= ${min}, got ${String(value)}`);
  return value;
}

function checkOptions(options: PipelineOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected an object with at least { model }');
  if (typeof options.model !== 'string' || options.model === '')
    throw new InvalidArgumentError('model', 'expected the path of a model folder');
  if (
    options.precision !== undefined &&
    options.precision !== 'auto' &&
    !isSessionPrecision(options.precision)
  )
    throw new InvalidArgumentError(
      'precision',
      `expected fp32, fp16, int8, fp8 or auto, got ${String(options.precision)}`,
    );
  if (options.precision === 'auto' && (options.plan !== undefined || options.profile !== undefined))
    throw new InvalidArgumentError(
      'precision',
      "'auto' chooses its own plan and profile: pass precision 'auto' or a plan/profile, not both",
    );
  checkInteger(options.batchSize, 'batchSize', 1);
  checkInteger(options.maxBatchTokens, 'maxBatchTokens', 1);
  checkInteger(options.maxLength, 'maxLength', 3);
  checkInteger(options.threads, 'threads', 0);
  if (options.backends !== undefined && !Array.isArray(options.backends))
    throw new InvalidArgumentError('backends', 'expected an array of EncoderBackendV1');
}

function resolveTask(task: string): PipelineTask | 'auto' {
  if (task === 'auto') return 'auto';
  const found = typeof task === 'string' ? taskByName(task) : undefined;
  if (found === undefined)
    throw new InvalidArgumentError(
      'task',
      `expected auto or one of ${PIPELINE_TASKS.join(', ')}, got ${JSON.stringify(task)}`,
    );
  return found;
}

/** A settled promise's value, or its error thrown. */
function settledValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** The effective maximum length: the option, else the tokenizer's, never past the model's positions. */
function maxLengthFor(
  model: ModelArtifacts,
  tokenizer: WordPieceTokenizer,
  requested: number | undefined,
): number {
  const limit = maxSequenceLength(model.config);
  if (requested !== undefined) {
    if (requested > limit)
      throw new InvalidArgumentError(
        'maxLength',
        `${requested} is more than ${model.dir} accepts (${limit} positions, from config.json max_position_embeddings)`,
      );
    return requested;
  }
  return Math.min(limit, tokenizer.modelMaxLength ?? limit);
}

interface NormalizedInput {
  readonly text: string;
  readonly pair: string | undefined;
}

function normalizeInput(input: unknown, index: number): NormalizedInput {
  if (typeof input === 'string') return { text: input, pair: undefined };
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InvalidArgumentError(
      `inputs[${index}]`,
      'expected a string or { text: string, text_pair?: string }',
    );
  const o = input as { text?: unknown; text_pair?: unknown };
  if (typeof o.text !== 'string')
    throw new InvalidArgumentError(`inputs[${index}].text`, 'expected a string');
  if (o.text_pair !== undefined && o.text_pair !== null && typeof o.text_pair !== 'string')
    throw new InvalidArgumentError(`inputs[${index}].text_pair`, 'expected a string');
  return { text: o.text, pair: typeof o.text_pair === 'string' ? o.text_pair : undefined };
}

/** A text-matching head in bi-encoder mode wants each text of a pair as its own row. */
function isBiEncoder(head: HeadInstance<unknown>): boolean {
  return (head as { mode?: unknown }).mode === 'bi-encoder';
}

/**
 * Builds a ready-to-call pipeline: loads the model folder, its tokenizer and the task's head, and opens
 * a session on the chosen backend (the installed `@samp/encoder-cuda` / `@samp/encoder-cpu-vnni`, or
 * `backends`). `task: 'auto'` picks the task from `config.architectures`.
 * @param task `classification`, `token-classification`, `text-matching`, `feature-extraction` (or an
 *   alias such as `text-classification`, `ner`), or `auto`.
 * @param options `model` (required), `device` (`auto`), `precision` (`fp32`), `profile`, `plan`,
 *   `threads`, `batchSize` (32), `maxBatchTokens` (65,536), `maxLength` (the tokenizer's), `backends`,
 *   `logger`, `headOptions`.
 * @throws TaskNotSupportedError when the model has no head for the task (naming its architectures).
 * @throws GpuUnavailableError / NoBackendAvailableError when the device cannot be used (with reasons).
 * @throws InvalidArgumentError for a bad option; the model loader's errors for a broken model folder.
 * @example
 * await using classify = await pipeline('classification', { model: 'models/sst2-en-small' });
 * const [result] = await classify(['a charming and often affecting journey']);
 * result.label; // 'positive'
 */
export async function pipeline<T extends PipelineTask>(
  task: T,
  options: PipelineOptions,
): Promise<Pipeline<PipelineTaskResults[T]>>;
export async function pipeline(task: 'auto' | (string & {}), options: PipelineOptions): Promise<Pipeline>;
export async function pipeline(task: string, options: PipelineOptions): Promise<Pipeline> {
  checkOptions(options);
  const requested = resolveTask(task);
  const dir = resolve(options.model);
  const readProfile = async (): Promise<[QuantProfile, string] | undefined> => {
    const p = options.profile;
    if (p === undefined) return undefined;
    return typeof p === 'string' ? [await readQuantProfile(resolve(p)), p] : [p, 'QuantProfile'];
  };
  const readPlan = async (): Promise<[PrecisionPlan, string] | undefined> => {
    const p = options.plan;
    if (p === undefined) return undefined;
    return typeof p === 'string' ? [await readPrecisionPlan(resolve(p)), p] : [p, 'PrecisionPlan'];
  };
  const [modelResult, tokenizerResult, selectedResult, profileResult, planResult] = await Promise.allSettled([
    loadModel(dir),
    fromModelDir(dir),
    selectBackend(options.device ?? 'auto', {
      ...(options.backends === undefined ? {} : { backends: options.backends }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.importer === undefined ? {} : { importer: options.importer }),
    }),
    readProfile(),
    readPlan(),
  ]);
  // Errors in a fixed order, the model's first: a model that cannot serve the task is reported before
  // a backend that cannot run, whichever finished first.
  const model = settledValue(modelResult);
  const tokenizer = settledValue(tokenizerResult);
  const taskName = requested === 'auto' ? autoTask(model.config, model.dir) : requested;
  const head = (options.head ?? TASKS[taskName].head) as HeadV1<PipelineResult>;
  const support = head.supports(model.config);
  if (!support.supported)
    throw new TaskNotSupportedError(taskName, model.dir, model.config.architectures, support.reason);
  const selected = settledValue(selectedResult);
  const profile = settledValue(profileResult);
  const plan = settledValue(planResult);
  const maxLength = maxLengthFor(model, tokenizer, options.maxLength);
  // A SmoothQuant profile belongs to the smoothed model: rebuild it (which checks the fingerprint).
  const smoothed = profile !== undefined && Object.keys(profile[0].smoothing ?? {}).length > 0;
  if (profile !== undefined && !smoothed) checkProfileMatches(profile[0], model, profile[1]);
  if (plan !== undefined) checkPlanMatches(plan[0], model, plan[1]);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;

  const sessionOptions: EncoderSessionOptions = {
    precision: options.precision === 'auto' ? 'fp32' : (options.precision ?? 'fp32'),
  };
  if (options.threads !== undefined) sessionOptions.threads = options.threads;
  let auto: AutoPrecision | undefined;
  if (options.precision === 'auto') {
    auto = await resolveAutoPrecision({
      ...autoOptionsOf(options),
      task: taskName,
      model,
      tokenizer,
      backend: selected.backend,
      batchSize,
      maxLength,
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    sessionOptions.plan = auto.plan;
    sessionOptions.profile = auto.profile;
  }
  if (plan !== undefined) sessionOptions.plan = plan[0];
  if (profile !== undefined) sessionOptions.profile = profile[0];
  const sessionModel =
    smoothed && profile !== undefined ? await applySmoothing(model, profile[0], profile[1]) : model;
  const [headResult, sessionResult] = await Promise.allSettled([
    head.create(model, { ...options.headOptions }),
    selected.backend.createSession(sessionModel, sessionOptions),
  ]);
  if (headResult.status === 'rejected' || sessionResult.status === 'rejected') {
    // Free whichever half did open before reporting the failure.
    if (sessionResult.status === 'fulfilled') await sessionResult.value.dispose().catch(() => {});
    if (headResult.status === 'fulfilled')
      await Promise.resolve(headResult.value.dispose?.()).catch(() => {});
    throw headResult.status === 'rejected'
      ? headResult.reason
      : (sessionResult as PromiseRejectedResult).reason;
  }
  return bindPipeline({
    task: taskName,
    model,
    tokenizer,
    backend: selected.backend,
    skipped: selected.skipped,
    session: sessionResult.value,
    head: headResult.value,
    maxLength,
    batchSize,
    ...(auto === undefined ? {} : { autoPrecision: auto }),
    maxBatchTokens: options.maxBatchTokens ?? MAX_TOKENS_PER_RUN,
  });
}

interface Bound {
  readonly task: PipelineTask;
  readonly model: ModelArtifacts;
  readonly tokenizer: WordPieceTokenizer;
  readonly backend: EncoderBackendV1;
  readonly skipped: readonly SkippedBackend[];
  readonly session: EncoderSession;
  readonly head: HeadInstance<PipelineResult>;
  readonly maxLength: number;
  readonly batchSize: number;
  readonly maxBatchTokens: number;
  readonly autoPrecision?: AutoPrecision;
}

function bindPipeline(b: Bound): Pipeline {
  const definition = TASKS[b.task];
  const biEncoder = b.task === 'text-matching' && isBiEncoder(b.head);
  // Models without segment embeddings take no token types (a pair's type 1 would be out of range).
  const withTypes = b.model.config.typeVocabSize > 1;
  const inFlight = new Set<Promise<unknown>>();
  let disposing: Promise<void> | undefined;

  const checkShape = (inputs: readonly NormalizedInput[]): void => {
    inputs.forEach((input, i) => {
      if (definition.inputs === 'single' && input.pair !== undefined)
        throw new InvalidArgumentError(
          `inputs[${i}].text_pair`,
          `${b.task} places entities in one text and takes single texts, not text pairs`,
        );
      if (definition.inputs === 'pair' && input.pair === undefined)
        throw new InvalidArgumentError(
          `inputs[${i}].text_pair`,
          `${b.task} takes text pairs ({ text, text_pair })`,
        );
    });
  };

  const runBatch = async (
    inputs: readonly NormalizedInput[],
    encodings: readonly (readonly Encoding[])[],
    indices: readonly number[],
  ): Promise<PipelineResult[]> => {
    const rows: Encoding[] = [];
    const rowInputs: number[] = [];
    const texts: (string | readonly [string, string])[] = [];
    for (const i of indices) {
      const input = inputs[i] as NormalizedInput;
      const encs = encodings[i] as readonly Encoding[];
      encs.forEach((e, k) => {
        rows.push(e);
        rowInputs.push(i);
        if (biEncoder) texts.push(k === 0 ? input.text : (input.pair as string));
        else texts.push(input.pair === undefined ? input.text : [input.text, input.pair]);
      });
    }
    const batch = packBatch(rows, rowInputs, b.tokenizer.padId);
    const L = batch.seqLength;
    const encoderInput: EncoderInput = {
      inputIds: batch.ids,
      attentionMask: batch.attentionMask,
      batchSize: batch.batchSize,
      sequenceLength: L,
    };
    if (withTypes) encoderInput.tokenTypeIds = batch.typeIds;
    const output = await b.session.run(encoderInput);
    const context: HeadContext = {
      attentionMask: batch.attentionMask,
      offsets: Array.from({ length: batch.batchSize }, (_, r) =>
        batch.offsets.subarray(2 * r * L, 2 * (r + 1) * L),
      ),
      texts,
    };
    const decoded = b.head.decode(output, context);
    if (decoded.length !== batch.batchSize)
      throw new Error(`the ${b.task} head returned ${decoded.length} results for ${batch.batchSize} rows`);
    // A bi-encoder gives both rows of a pair the pair's score; keep the first.
    return biEncoder ? decoded.filter((_, r) => r % 2 === 0) : decoded;
  };

  /** Tokenizes, batches and runs `inputs[from, to)`, writing their results into `results`. */
  const runWindow = async (
    inputs: readonly NormalizedInput[],
    from: number,
    to: number,
    results: PipelineResult[],
  ): Promise<void> => {
    const window = inputs.slice(from, to);
    const flat = biEncoder
      ? window.flatMap((x) => [x.text, x.pair as string])
      : window.map((x) => (x.pair === undefined ? x.text : ([x.text, x.pair] as const)));
    const encoded = b.tokenizer.encodeAll(flat, { maxLength: b.maxLength, truncation: 'longest_first' });
    const perInput: Encoding[][] = biEncoder
      ? window.map((_, i) => [encoded[2 * i] as Encoding, encoded[2 * i + 1] as Encoding])
      : encoded.map((e) => [e]);
    for (const indices of planBatches(
      perInput.map((encs) => encs.map((e) => e.length)),
      b.batchSize,
      b.maxBatchTokens,
    )) {
      const decoded = await runBatch(window, perInput, indices);
      indices.forEach((i, k) => {
        results[from + i] = decoded[k] as PipelineResult;
      });
    }
  };

  const runAll = async (list: readonly unknown[]): Promise<PipelineResult[]> => {
    const inputs = list.map(normalizeInput);
    checkShape(inputs);
    const results = new Array<PipelineResult>(inputs.length);
    const windowSize = pipelineWindowSize(b.batchSize);
    for (let from = 0; from < inputs.length; from += windowSize)
      await runWindow(inputs, from, Math.min(inputs.length, from + windowSize), results);
    return results;
  };

  const call = (input: unknown): Promise<unknown> => {
    if (disposing !== undefined) return Promise.reject(new SessionDisposedError('pipeline'));
    const work = Array.isArray(input) ? runAll(input) : runAll([input]).then((r) => r[0]);
    inFlight.add(work);
    const forget = () => inFlight.delete(work);
    work.then(forget, forget);
    return work;
  };

  const dispose = (): Promise<void> => {
    disposing ??= (async () => {
      await Promise.allSettled([...inFlight]);
      try {
        await b.session.dispose();
      } finally {
        await b.head.dispose?.();
      }
    })();
    return disposing;
  };

  const fn = call as Pipeline;
  Object.defineProperties(fn, {
    task: { value: b.task, enumerable: true },
    model: { value: b.model, enumerable: true },
    tokenizer: { value: b.tokenizer, enumerable: true },
    backend: { value: b.backend, enumerable: true },
    skippedBackends: { value: b.skipped, enumerable: true },
    maxLength: { value: b.maxLength, enumerable: true },
    batchSize: { value: b.batchSize, enumerable: true },
    maxBatchTokens: { value: b.maxBatchTokens, enumerable: true },
    autoPrecision: { value: b.autoPrecision, enumerable: true },
    dispose: { value: dispose },
    [Symbol.asyncDispose]: { value: dispose },
  });
  return fn;
}
