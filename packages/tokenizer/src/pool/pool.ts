import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { concatBatches, reorderRows, type TokenBatch } from '../batch';
import {
  TokenizerConfigError,
  type TokenizerError,
  TokenizerInputError,
  TokenizerOptionError,
  TokenizerPoolError,
  TruncationError,
  VocabError,
} from '../errors';
import { type SerializedError, tokenizerFromSpec } from '../from-spec';
import {
  BaseTokenizer,
  type BatchOptions,
  type BatchPool,
  type EncodeInput,
  readInput,
  type TokenizerSpec,
} from '../tokenizer';

/** Options of `createTokenizerPool`. */
export interface TokenizerPoolOptions {
  /** Worker threads (default `os.availableParallelism()`). */
  readonly size?: number;
  /** Batches with fewer inputs are encoded on the calling thread (default 256). */
  readonly minBatchSize?: number;
  /** Inputs per task sent to a worker (default: the batch split in 4 tasks per worker, 64..4096 inputs each). */
  readonly chunkSize?: number;
  /** Where the worker script is (default: `pool/worker.js` or `.cjs` next to the loaded build). */
  readonly workerUrl?: URL | string;
}

/** A pool of worker threads that encode large batches in parallel; results keep the input order. */
export interface TokenizerPool extends BatchPool {
  /** Number of worker threads. */
  readonly size: number;
  /** Resolves when every worker has rebuilt the tokenizer (rejects with the typed error if one could not). */
  ready(): Promise<void>;
  /**
   * `encodeBatch` split across the workers: same result as the single-thread `encodeBatch` (rows in input
   * order, or sorted by length with `sortByLength`). Errors reject with the same typed errors.
   */
  encodeBatch(inputs: readonly EncodeInput[], options?: BatchOptions): Promise<TokenBatch>;
  /** Terminates the workers; later calls reject with `TokenizerPoolError`. */
  dispose(): Promise<void>;
}

interface Result {
  readonly batch: TokenBatch;
  readonly rowLengths: Int32Array;
}

interface Task {
  readonly id: number;
  readonly inputs: readonly EncodeInput[];
  readonly options: BatchOptions;
  readonly base: number;
  readonly resolve: (r: Result) => void;
  readonly reject: (e: unknown) => void;
}

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  dead: boolean;
  task: Task | undefined;
}

type Message =
  | { type: 'ready'; padId: number }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: number; batch: TokenBatch; rowLengths: Int32Array }
  | { type: 'error'; id: number; error: SerializedError };

/** The worker script next to this module: dist/pool/worker.{js,cjs}, or the built one when running from src. */
function defaultWorkerUrl(): URL {
  const here = typeof __filename === 'string' ? pathToFileURL(__filename) : new URL(import.meta.url);
  if (here.pathname.endsWith('.ts')) {
    // From source (vitest's `source` condition): Node 20 cannot run a .ts worker, so use the built one.
    const built = new URL('../../dist/pool/worker.js', here);
    if (!existsSync(fileURLToPath(built))) {
      throw new TokenizerPoolError(
        `the pool's worker is built code and ${fileURLToPath(built)} is missing: run the package build first`,
      );
    }
    return built;
  }
  return new URL(here.pathname.endsWith('.cjs') ? './pool/worker.cjs' : './pool/worker.js', here);
}

/** A typed error from its serialized form (same class, code, message and fields). */
export function reviveError(s: SerializedError): Error {
  let e: TokenizerError;
  switch (s.code) {
    case 'SAMP_TOKENIZER_INPUT':
      e = new TokenizerInputError('');
      break;
    case 'SAMP_TOKENIZER_OPTION':
      e = new TokenizerOptionError('', '');
      break;
    case 'SAMP_TOKENIZER_TRUNCATION':
      e = new TruncationError('');
      break;
    case 'SAMP_TOKENIZER_VOCAB':
      e = new VocabError('');
      break;
    case 'SAMP_TOKENIZER_CONFIG':
      e = new TokenizerConfigError('', '');
      break;
    case 'SAMP_TOKENIZER_POOL':
      e = new TokenizerPoolError('');
      break;
    default:
      return new TokenizerPoolError(`a worker failed: ${s.name}: ${s.message}`);
  }
  Object.assign(e, s.fields ?? {});
  e.message = s.message;
  return e;
}

function positiveInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new TokenizerOptionError(name, `expected an integer >= 1, got ${JSON.stringify(v)}`);
  return v;
}

class Pool implements TokenizerPool {
  readonly size: number;
  readonly minBatchSize: number;
  private readonly chunkSize: number | undefined;
  private readonly spec: TokenizerSpec;
  private readonly source: BaseTokenizer | undefined;
  private local: Promise<BaseTokenizer> | undefined;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly readyPromise: Promise<void>;
  private initError: Error | undefined;
  private padId = 0;
  private nextId = 0;
  private disposed = false;

  constructor(source: TokenizerSpec | BaseTokenizer, options: TokenizerPoolOptions) {
    if (typeof options !== 'object' || options === null)
      throw new TokenizerOptionError('options', 'expected an object');
    this.size = positiveInt('size', options.size, availableParallelism());
    this.minBatchSize = positiveInt('minBatchSize', options.minBatchSize, 256);
    this.chunkSize =
      options.chunkSize === undefined ? undefined : positiveInt('chunkSize', options.chunkSize, 1);
    if (source instanceof BaseTokenizer) {
      this.source = source;
      this.spec = source.toSpec();
    } else if (
      typeof source === 'object' &&
      source !== null &&
      Array.isArray((source as TokenizerSpec).vocab)
    ) {
      this.spec = source as TokenizerSpec;
    } else {
      throw new TokenizerOptionError('tokenizer', 'expected a tokenizer or its toSpec()');
    }
    if (this.spec.kind === 'word' && this.spec.options.segmenter === null) {
      throw new TokenizerPoolError(
        'the word tokenizer has a custom segmenter without toSpec(): it cannot be rebuilt in a worker',
      );
    }
    const url = options.workerUrl ?? defaultWorkerUrl();
    const readies: Promise<void>[] = [];
    for (let k = 0; k < this.size; k++) {
      // Referenced until ready (starting is work someone may await), then only while it has tasks.
      const worker = new Worker(url, { workerData: { spec: this.spec } });
      const slot: Slot = { worker, ready: false, dead: false, task: undefined };
      this.slots.push(slot);
      readies.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (m: Message) => {
            if (m.type === 'ready') {
              slot.ready = true;
              this.padId = m.padId;
              resolve();
              this.pump();
            } else if (m.type === 'init-error') {
              const err = reviveError(m.error);
              this.initError ??= err;
              this.kill(slot, err);
              reject(err);
            } else this.finish(slot, m);
          });
          worker.on('error', (e) => {
            const err = new TokenizerPoolError(`a tokenizer worker failed: ${e.message}`, { cause: e });
            this.kill(slot, err);
            reject(err);
          });
          worker.on('exit', (code) => {
            if (!this.disposed && !slot.dead) {
              const err = new TokenizerPoolError(`a tokenizer worker exited (code ${code})`);
              this.kill(slot, err);
              reject(err);
            }
          });
        }),
      );
    }
    this.readyPromise = Promise.all(readies).then(() => undefined);
    // Nobody may await ready(): keep an unobserved failure from becoming an unhandled rejection.
    this.readyPromise.catch(() => {});
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  isFor(tokenizer: BaseTokenizer): boolean {
    return this.source === tokenizer;
  }

  async encodeBatch(inputs: readonly EncodeInput[], options: BatchOptions = {}): Promise<TokenBatch> {
    if (this.disposed) throw new TokenizerPoolError('the pool was disposed');
    if (!Array.isArray(inputs)) throw new TokenizerInputError('expected an array of inputs');
    if (typeof options !== 'object' || options === null)
      throw new TokenizerOptionError('options', 'expected an object');
    // Input errors name the batch index, as on one thread.
    for (let i = 0; i < inputs.length; i++) readInput(inputs[i], i);
    const n = inputs.length;
    if (n < this.minBatchSize) return (await this.localTokenizer()).encodeBatch(inputs, options);
    const { pool: _pool, ...plain } = options as BatchOptions & { pool?: unknown };
    const chunkOptions: BatchOptions = { ...plain, sortByLength: false };
    const chunk = this.chunkSize ?? Math.min(4096, Math.max(64, Math.ceil(n / (this.size * 4))));
    const parts: Promise<Result>[] = [];
    for (let base = 0; base < n; base += chunk) {
      parts.push(
        new Promise<Result>((resolve, reject) => {
          this.queue.push({
            id: this.nextId++,
            inputs: inputs.slice(base, base + chunk),
            options: chunkOptions,
            base,
            resolve,
            reject,
          });
        }),
      );
    }
    this.pump();
    const results = await Promise.all(parts);
    const batches = results.map((r) => r.batch);
    let batch =
      batches.length === 1
        ? (batches[0] as TokenBatch)
        : concatBatches(batches, this.padId, options.paddingSide ?? 'right');
    if (options.sortByLength) {
      const keys = new Int32Array(batch.batchSize);
      let r = 0;
      for (const x of results) {
        keys.set(x.rowLengths, r);
        r += x.rowLengths.length;
      }
      const order = Array.from(keys, (_, k) => k).sort(
        (x, y) => (keys[y] as number) - (keys[x] as number) || x - y,
      );
      batch = reorderRows(batch, order);
    }
    return batch;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const err = new TokenizerPoolError('the pool was disposed');
    for (const t of this.queue.splice(0)) t.reject(err);
    for (const s of this.slots) {
      if (s.task !== undefined) s.task.reject(err);
      s.task = undefined;
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private localTokenizer(): Promise<BaseTokenizer> {
    if (this.source !== undefined) return Promise.resolve(this.source);
    this.local ??= tokenizerFromSpec(this.spec);
    return this.local;
  }

  /** Gives queued tasks to idle workers; keeps the workers referenced only while there is work. */
  private pump(): void {
    for (const s of this.slots) {
      if (this.queue.length === 0) break;
      if (!s.ready || s.dead || s.task !== undefined) continue;
      const t = this.queue.shift() as Task;
      s.task = t;
      try {
        s.worker.postMessage({ id: t.id, inputs: t.inputs, options: t.options, base: t.base });
      } catch (e) {
        s.task = undefined;
        t.reject(new TokenizerOptionError('options', `cannot be sent to a worker: ${(e as Error).message}`));
      }
    }
    if (this.slots.every((s) => s.dead)) {
      const err = this.initError ?? new TokenizerPoolError('every tokenizer worker has failed');
      for (const t of this.queue.splice(0)) t.reject(err);
    }
    const busy = this.queue.length > 0 || this.slots.some((s) => s.task !== undefined);
    for (const s of this.slots) {
      if (s.dead || !s.ready) continue;
      if (busy) s.worker.ref();
      else s.worker.unref();
    }
  }

  private finish(slot: Slot, m: Message): void {
    const t = slot.task;
    slot.task = undefined;
    if (t !== undefined) {
      if (m.type === 'result') t.resolve({ batch: m.batch, rowLengths: m.rowLengths });
      else if (m.type === 'error') t.reject(reviveError(m.error));
    }
    this.pump();
  }

  private kill(slot: Slot, err: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    const t = slot.task;
    slot.task = undefined;
    if (t !== undefined) t.reject(err);
    void slot.worker.terminate();
    this.pump();
  }
}

/**
 * Starts a pool of worker threads for a tokenizer (or its `toSpec()`): each worker rebuilds the tokenizer once;
 * `encodeBatch` splits large batches into chunks, encodes them in parallel and reassembles them in input
 * order, with the typed arrays transferred back, not copied. Call `dispose()` when done.
 *
 * @example
 * const pool = createTokenizerPool(tokenizer, { size: 4 });
 * const batch = await pool.encodeBatch(lines, { maxLength: 128 });
 * await pool.dispose();
 */
export function createTokenizerPool(
  tokenizer: TokenizerSpec | BaseTokenizer,
  options: TokenizerPoolOptions = {},
): TokenizerPool {
  return new Pool(tokenizer, options);
}
