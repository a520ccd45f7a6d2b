// The dynamic batcher on its own, with a runner that records the batches it is given (numbers in, their
// doubles out): windowing, batch cuts, order, workers, the bounded queue, timeouts, failure isolation
// and draining.
import { InvalidArgumentError } from '@samp/core';
import { describe, expect, it } from 'vitest';
import { createBatcher, QueueFullError, RequestTimeoutError, ServerClosingError } from '../src/serve';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A runner that doubles numbers after `ms`, fails on negative ones, and records each batch. */
function recorder(ms = 0) {
  const batches: { inputs: number[]; worker: number }[] = [];
  let running = 0;
  let maxRunning = 0;
  const run = async (inputs: number[], worker: number) => {
    batches.push({ inputs: [...inputs], worker });
    running++;
    maxRunning = Math.max(maxRunning, running);
    await sleep(ms);
    running--;
    if (inputs.some((x) => x < 0)) throw new Error(`negative input in ${inputs.join(',')}`);
    return inputs.map((x) => 2 * x);
  };
  return { run, batches, maxRunning: () => maxRunning };
}

describe('createBatcher', () => {
  it('collects requests arriving within the window into one batch and answers each its own', async () => {
    const r = recorder();
    const b = createBatcher({ name: 'm', run: r.run, batchWindowMs: 20, maxBatchSize: 32 });
    const answers = await Promise.all([b.submit([1]), b.submit([2, 3]), b.submit([4])]);
    expect(answers).toEqual([[2], [4, 6], [8]]);
    expect(r.batches.map((x) => x.inputs)).toEqual([[1, 2, 3, 4]]);
  });

  it('cuts batches at maxBatchSize in arrival order, a large request spanning several', async () => {
    const r = recorder();
    const b = createBatcher({ name: 'm', run: r.run, batchWindowMs: 20, maxBatchSize: 3 });
    const answers = await Promise.all([b.submit([1, 2, 3, 4, 5]), b.submit([6, 7])]);
    expect(answers).toEqual([
      [2, 4, 6, 8, 10],
      [12, 14],
    ]);
    expect(r.batches.map((x) => x.inputs)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('with maxBatchSize 1 runs every input on its own at once', async () => {
    const r = recorder();
    const b = createBatcher({ name: 'm', run: r.run, batchWindowMs: 1000, maxBatchSize: 1 });
    const start = performance.now();
    expect(await Promise.all([b.submit([1]), b.submit([2])])).toEqual([[2], [4]]);
    expect(performance.now() - start).toBeLessThan(500);
    expect(r.batches.map((x) => x.inputs)).toEqual([[1], [2]]);
  });

  it('runs batches on all workers in parallel and batches what waits for a busy worker', async () => {
    const r = recorder(30);
    const b = createBatcher({ name: 'm', run: r.run, workers: 2, batchWindowMs: 0, maxBatchSize: 8 });
    const first = [b.submit([1]), b.submit([2])];
    await sleep(5);
    const later = [b.submit([3]), b.submit([4]), b.submit([5])];
    expect(b.queueDepth).toBe(3);
    expect(b.batchesInFlight).toBe(2);
    expect(await Promise.all([...first, ...later])).toEqual([[2], [4], [6], [8], [10]]);
    expect(r.maxRunning()).toBe(2);
    expect(new Set(r.batches.map((x) => x.worker))).toEqual(new Set([0, 1]));
    // The three that waited for a worker ran together.
    expect(r.batches.map((x) => x.inputs)).toContainEqual([3, 4, 5]);
  });

  it('refuses a request that does not fit in the queue at once, and counts inputs, not requests', async () => {
    const r = recorder();
    const b = createBatcher({ name: 'tnews', run: r.run, batchWindowMs: 50, maxQueue: 4 });
    const first = b.submit([1, 2, 3]);
    const refused = b.submit([4, 5]);
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toThrow('the queue of model "tnews" is full (4 inputs waiting at most');
    const fits = b.submit([6]);
    expect(await first).toEqual([2, 4, 6]);
    expect(await fits).toEqual([12]);
  });

  it('times a request out, taking its waiting inputs off the queue', async () => {
    const r = recorder();
    const b = createBatcher({ name: 'm', run: r.run, batchWindowMs: 100 });
    const late = b.submit([1, 2], { timeoutMs: 10 });
    const patient = b.submit([3]);
    await expect(late).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(b.queueDepth).toBe(1);
    expect(await patient).toEqual([6]);
    expect(r.batches.map((x) => x.inputs)).toEqual([[3]]);
  });

  it('retries a failed batch request by request, so a bad input fails only its own request', async () => {
    const r = recorder();
    const reports: { size: number; failed: boolean }[] = [];
    const b = createBatcher({
      name: 'm',
      run: r.run,
      batchWindowMs: 20,
      onBatch: (report) => reports.push({ size: report.size, failed: report.failed }),
    });
    const [good, bad, other] = await Promise.allSettled([b.submit([1]), b.submit([2, -1]), b.submit([3])]);
    expect(good).toEqual({ status: 'fulfilled', value: [2] });
    expect(other).toEqual({ status: 'fulfilled', value: [6] });
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason.message).toBe('negative input in 2,-1');
    expect(r.batches.map((x) => x.inputs)).toEqual([[1, 2, -1, 3], [1], [2, -1], [3]]);
    expect(reports).toEqual([
      { size: 4, failed: true },
      { size: 1, failed: false },
      { size: 2, failed: true },
      { size: 1, failed: false },
    ]);
  });

  it('drains: runs what is queued without waiting for the window, then refuses new requests', async () => {
    const r = recorder(10);
    const b = createBatcher({ name: 'm', run: r.run, batchWindowMs: 10_000 });
    const queued = [b.submit([1]), b.submit([2])];
    const start = performance.now();
    await b.drain();
    expect(performance.now() - start).toBeLessThan(5000);
    expect(await Promise.all(queued)).toEqual([[2], [4]]);
    await expect(b.submit([3])).rejects.toBeInstanceOf(ServerClosingError);
    expect(b.queueDepth).toBe(0);
    expect(b.batchesInFlight).toBe(0);
  });

  it('checks its options', () => {
    const run = recorder().run;
    expect(() => createBatcher({ name: 'm', run, maxBatchSize: 0 })).toThrow(InvalidArgumentError);
    expect(() => createBatcher({ name: 'm', run, workers: 1.5 })).toThrow(
      'workers: expected an integer >= 1',
    );
    expect(() => createBatcher({ name: 'm', run, batchWindowMs: -1 })).toThrow('batchWindowMs');
  });
});
