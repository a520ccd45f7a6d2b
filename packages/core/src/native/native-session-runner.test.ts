// The runner's protocol around an addon's runSession. The real addons run through it in
// @samp/encoder-cpu-vnni's and @samp/encoder-cuda's session tests; here a recording binding shows what
// reaches the addon, and what does not, for the fixture BERT model.
import { describe, expect, it } from 'vitest';
import { SampError } from '../errors';
import { loadModel } from '../model';
import { listFixtureModels, readFixtureInputs } from '../testing';
import type { NativeEncoderBatch } from './native-batch';
import type { NativeEncoderResult } from './native-run-output';
import { type NativeRunSessionOptions, NativeSessionRunner } from './native-session-runner';

const fixture = listFixtureModels().find((f) => f.name === 'bert');
if (fixture === undefined) throw new Error('the bert fixture is missing from the fixture manifest');
const model = await loadModel(fixture.dir, { tokenizer: false });
const input = readFixtureInputs(fixture, model.config.padTokenId);

class AddonFailure extends SampError {
  constructor(cause: Error) {
    super('SAMP_NATIVE_FAILURE', `the test backend failed: ${cause.message}`, { cause });
  }
}

/** Records each call and answers with zeros of the right size, plus a marker the session can read. */
function recordingBinding(fail?: Error) {
  const calls: { handle: string; input: NativeEncoderBatch; options: NativeRunSessionOptions }[] = [];
  const binding = {
    async runSession(handle: string, batch: NativeEncoderBatch, options: NativeRunSessionOptions) {
      calls.push({ handle, input: batch, options });
      if (fail !== undefined) throw fail;
      const size = batch.batchSize * batch.sequenceLength * model.config.hiddenSize;
      const result: NativeEncoderResult & { stats: number } = {
        lastHiddenState: new Float32Array(size),
        stats: 7,
      };
      return result;
    },
  };
  return { binding, calls };
}

const runner = (binding: ReturnType<typeof recordingBinding>['binding'], padPositions: 'compute' | 'skip') =>
  new NativeSessionRunner({
    binding,
    handle: 'h1',
    model,
    padPositions,
    session: 'test session',
    mapError: (e) => (e instanceof Error && (e as { code?: string }).code ? new AddonFailure(e) : e),
  });

describe('NativeSessionRunner', () => {
  it("passes the batch and the checked options to the addon, and returns the spec's output and its result", async () => {
    const { binding, calls } = recordingBinding();
    const r = runner(binding, 'skip');
    const { output, result } = await r.run(input, {
      outputHiddenStates: true,
      observe: ['layers.0.attention.probs'],
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.handle).toBe('h1');
    expect(calls[0]?.input.inputIds).toBe(input.inputIds);
    expect(calls[0]?.options).toEqual({
      outputHiddenStates: true,
      computePadding: false,
      observe: ['layers.0.attention.probs'],
    });
    expect(result.stats).toBe(7);
    expect(output).toMatchObject({
      batchSize: input.batchSize,
      sequenceLength: input.sequenceLength,
      hiddenSize: model.config.hiddenSize,
      hiddenStates: [],
      observed: {},
    });
    await runner(binding, 'compute').run(input);
    expect(calls[1]?.options).toEqual({ outputHiddenStates: false, computePadding: true, observe: [] });
  });

  it('refuses bad input and observe names before the addon sees them', async () => {
    const { binding, calls } = recordingBinding();
    const r = runner(binding, 'compute');
    await expect(r.run({ ...input, batchSize: input.batchSize + 1 })).rejects.toMatchObject({
      code: 'SAMP_INVALID_ARGUMENT',
    });
    await expect(
      r.run(input, { observe: [`layers.${model.config.numHiddenLayers}.attention.probs`] }),
    ).rejects.toMatchObject({ argument: 'observe[0]' });
    expect(calls).toHaveLength(0);
  });

  it('maps addon failures and stays usable; after markDisposed it refuses runs and jobs', async () => {
    const failure = Object.assign(new Error('std::bad_alloc'), { code: 'SAMP_NATIVE_FAILURE' });
    const failing = runner(recordingBinding(failure).binding, 'compute');
    await expect(failing.run(input)).rejects.toMatchObject({
      name: 'AddonFailure',
      message: 'the test backend failed: std::bad_alloc',
    });
    await expect(failing.enqueue(async () => 'benchmark')).resolves.toBe('benchmark');

    const { binding, calls } = recordingBinding();
    const r = runner(binding, 'compute');
    expect(r.disposed).toBe(false);
    expect(() => r.assertLive()).not.toThrow();
    expect(r.markDisposed()).toBe(true);
    expect(r.markDisposed()).toBe(false);
    expect(r.disposed).toBe(true);
    await expect(r.run(input)).rejects.toMatchObject({
      name: 'SessionDisposedError',
      message: 'the test session has been disposed',
    });
    expect(() => r.assertLive()).toThrow('the test session has been disposed');
    await expect(r.enqueue(async () => 'late')).rejects.toMatchObject({ code: 'SAMP_SESSION_DISPOSED' });
    await expect(r.settled()).resolves.toBeUndefined();
    expect(calls).toHaveLength(0);
  });
});
