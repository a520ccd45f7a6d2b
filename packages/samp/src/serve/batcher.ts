import { InvalidArgumentError } from '@samp/core';
import { QueueFullError, RequestTimeoutError, ServerClosingError } from './errors';

/** Runs one batch on one worker; resolves to one output per input, in order. */
export type BatchRunner<I, O> = (inputs: I[], worker: number) => Promise<O[]>;

/** What a finished batch reports (for metrics). */
export interface BatchReport {
  /** Inputs in the batch. */
  readonly size: number;
  /** Requests that had inputs in it. */
  readonly requests: number;
  readonly worker: number;
  /** Wall time of the run in milliseconds. */
  readonly durationMs: number;
  /** Whether the run failed (its requests were then retried one by one). */
  readonly failed: boolean;
}

/** Options of {@link createBatcher}. */
export interface BatcherOptions<I, O> {
  /** Runs a batch; given at most `maxBatchSize` inputs. */
  readonly run: BatchRunner<I, O>;
  /** The model's name, for error messages. */
  readonly name: string;
  /** Workers that run batches in parallel, numbered 0…n-1 (default 1). */
  readonly workers?: number;
  /** Inputs per batch at most (default 32; 1 turns dynamic batching off). */
  readonly maxBatchSize?: number;
  /**
   * How long the oldest waiting input may wait for others to join its batch, in milliseconds (default
   * 2). A full batch, or a free worker finding inputs that already waited this long, goes at once.
   */
  readonly batchWindowMs?: number;
  /** Inputs waiting at most (default 1024); a request that does not fit is refused (QueueFullError). */
  readonly maxQueue?: number;
  /** Called after each batch run. */
  readonly onBatch?: (report: BatchReport) => void;
}

/** Options of one {@link Batcher.submit}. */
export interface SubmitOptions {
  /** Milliseconds until the request fails with RequestTimeoutError (default: none). */
  readonly timeoutMs?: number;
}

/**
 * A dynamic batcher: requests (each one or more inputs) from many callers are queued, cut into batches
 * of at most `maxBatchSize` inputs and run on free workers; each caller gets its own outputs back.
 */
export interface Batcher<I, O> {
  /**
   * Queues a request's inputs; resolves to their outputs in order.
   * @throws QueueFullError (at once) when the inputs do not fit in the queue.
   * @throws RequestTimeoutError when not answered within `timeoutMs`.
   * @throws ServerClosingError after `drain()` began.
   */
  submit(inputs: readonly I[], options?: SubmitOptions): Promise<O[]>;
  /** Inputs waiting for a worker. */
  readonly queueDepth: number;
  /** Batches running now. */
  readonly batchesInFlight: number;
  /** Refuses new requests, runs everything queued at once (no window) and resolves when all finished. */
  drain(): Promise<void>;
}

interface Request<O> {
  readonly outputs: O[];
  remaining: number;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve(outputs: O[]): void;
  reject(error: unknown): void;
}

interface Item<I, O> {
  readonly input: I;
  readonly index: number;
  readonly request: Request<O>;
  readonly arrival: number;
}

function positiveInteger(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min)
    throw new InvalidArgumentError(name, `expected an integer >= ${min}, got ${String(value)}`);
  return value;
}

/**
 * Creates a dynamic batcher over `run`. Inputs keep their arrival order across batches (first come,
 * first served); the runner sorts each batch by length itself. When a batch fails, its requests are
 * run again one by one, so one request's bad input never fails another's.
 * @param options `run`, `name`, `workers` (1), `maxBatchSize` (32), `batchWindowMs` (2), `maxQueue`
 *   (1024), `onBatch`.
 * @example
 * const batcher = createBatcher({ name: 'tnews', run: (texts) => classify(texts), maxBatchSize: 32 });
 * const [result] = await batcher.submit(['体育新闻'], { timeoutMs: 1000 });
 */
export function createBatcher<I, O>(options: BatcherOptions<I, O>): Batcher<I, O> {
  const workers = positiveInteger(options.workers, 'workers', 1);
  const maxBatchSize = positiveInteger(options.maxBatchSize, 'maxBatchSize', 32);
  const maxQueue = positiveInteger(options.maxQueue, 'maxQueue', 1024);
  const windowMs = options.batchWindowMs ?? 2;
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs < 0)
    throw new InvalidArgumentError('batchWindowMs', `expected a number >= 0, got ${String(windowMs)}`);

  let queue: Item<I, O>[] = [];
  const idle: number[] = Array.from({ length: workers }, (_, i) => workers - 1 - i);
  let inFlight = 0;
  let windowTimer: NodeJS.Timeout | undefined;
  let draining = false;
  let drained: (() => void) | undefined;

  const settle = (request: Request<O>, error?: unknown): void => {
    if (request.settled) return;
    request.settled = true;
    if (request.timer !== undefined) clearTimeout(request.timer);
    if (error === undefined) request.resolve(request.outputs);
    else request.reject(error);
  };

  const checkDrained = (): void => {
    if (draining && queue.length === 0 && inFlight === 0) drained?.();
  };

  /** Runs `items` on `worker`; a failed batch of several requests is retried request by request. */
  const runItems = async (items: Item<I, O>[], worker: number, retry: boolean): Promise<void> => {
    const start = performance.now();
    let failed = false;
    try {
      const outputs = await options.run(
        items.map((item) => item.input),
        worker,
      );
      items.forEach((item, k) => {
        const request = item.request;
        if (request.settled) return;
        request.outputs[item.index] = outputs[k] as O;
        if (--request.remaining === 0) settle(request);
      });
    } catch (error) {
      failed = true;
      const requests = [...new Set(items.map((item) => item.request))].filter((r) => !r.settled);
      if (!retry || requests.length <= 1) for (const r of requests) settle(r, error);
      else {
        options.onBatch?.({
          size: items.length,
          requests: requests.length,
          worker,
          durationMs: performance.now() - start,
          failed,
        });
        for (const r of requests)
          await runItems(
            items.filter((item) => item.request === r),
            worker,
            false,
          );
        return;
      }
    }
    options.onBatch?.({
      size: items.length,
      requests: new Set(items.map((item) => item.request)).size,
      worker,
      durationMs: performance.now() - start,
      failed,
    });
  };

  const dispatch = (): void => {
    const worker = idle.pop() as number;
    const batch = queue.slice(0, maxBatchSize);
    queue = queue.slice(batch.length);
    inFlight++;
    runItems(batch, worker, true)
      .catch(() => {})
      .finally(() => {
        inFlight--;
        idle.push(worker);
        schedule();
        checkDrained();
      });
  };

  function schedule(): void {
    while (queue.length > 0 && idle.length > 0) {
      const waited = performance.now() - (queue[0] as Item<I, O>).arrival;
      if (!draining && queue.length < maxBatchSize && waited < windowMs) {
        // Wait for more inputs, at most until the oldest one has waited the window.
        windowTimer ??= setTimeout(() => {
          windowTimer = undefined;
          schedule();
        }, windowMs - waited);
        return;
      }
      if (windowTimer !== undefined) {
        clearTimeout(windowTimer);
        windowTimer = undefined;
      }
      dispatch();
    }
  }

  const submit = (inputs: readonly I[], submitOptions: SubmitOptions = {}): Promise<O[]> => {
    if (draining) return Promise.reject(new ServerClosingError());
    if (inputs.length === 0) return Promise.resolve([]);
    if (queue.length + inputs.length > maxQueue)
      return Promise.reject(new QueueFullError(options.name, maxQueue, inputs.length));
    return new Promise<O[]>((resolve, reject) => {
      const request: Request<O> = {
        outputs: new Array<O>(inputs.length),
        remaining: inputs.length,
        settled: false,
        timer: undefined,
        resolve,
        reject,
      };
      const timeoutMs = submitOptions.timeoutMs;
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs))
        request.timer = setTimeout(() => {
          // Inputs still waiting leave the queue; a batch already running finishes, its outputs unused.
          queue = queue.filter((item) => item.request !== request);
          settle(request, new RequestTimeoutError(timeoutMs));
          checkDrained();
        }, timeoutMs);
      const arrival = performance.now();
      inputs.forEach((input, index) => {
        queue.push({ input, index, request, arrival });
      });
      schedule();
    });
  };

  return {
    submit,
    get queueDepth() {
      return queue.length;
    },
    get batchesInFlight() {
      return inFlight;
    },
    drain(): Promise<void> {
      draining = true;
      return new Promise<void>((resolve) => {
        drained = resolve;
        schedule();
        checkDrained();
      });
    },
  };
}
