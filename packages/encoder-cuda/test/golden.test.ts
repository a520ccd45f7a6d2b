// Every golden fixture model on the GPU against its Hugging Face float64 outputs (every hidden state,
// every real position; padded ones too with padPositions 'compute'): FP32 within 1e-4 and FP16 within
// 3e-3 relative (max |Δ| / max |expected|). Padding removal and CUDA graphs must not change results:
// graphs replay the same kernels (bit-identical), padding removal changes only the GEMMs' row count.
// Without a driver the suite asserts that sessions are refused with GpuUnavailableError instead.
import { type EncoderInput, type EncoderSession, loadModel, type ModelArtifacts } from '@samp/core';
import { listFixtureModels, readFixtureExpected, readFixtureInputs, relativeError } from '@samp/core/testing';
import { describe, expect, it } from 'vitest';
import { type CudaBackendOptions, createCudaBackend } from '../src/index';
import { hasDriver } from './gpu-gate';

const TOLERANCE = { fp32: 1e-4, fp16: 3e-3 } as const;
const fixtures = listFixtureModels();

async function open(model: ModelArtifacts, precision: 'fp32' | 'fp16', options: CudaBackendOptions) {
  return createCudaBackend(options).createSession(model, { precision });
}

if (!hasDriver) {
  it('without a driver: every fixture session is refused with GpuUnavailableError', async () => {
    const fixture = fixtures[0];
    expect(fixture).toBeDefined();
    const model = await loadModel(fixture?.dir ?? '', { tokenizer: false });
    for (const precision of ['fp32', 'fp16'] as const) {
      await expect(open(model, precision, {})).rejects.toMatchObject({
        name: 'GpuUnavailableError',
        code: 'SAMP_GPU_UNAVAILABLE',
        message: expect.stringMatching(/cudaError\w+/),
      });
    }
  });
} else {
  it('finds the nine golden fixture models', () => {
    expect(fixtures.length).toBe(9);
  });

  describe.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, fixture) => {
    const expected = readFixtureExpected(fixture);
    let modelPromise: Promise<ModelArtifacts> | undefined;
    const model = () => {
      modelPromise ??= loadModel(fixture.dir, { tokenizer: false });
      return modelPromise;
    };

    describe.each(['fp32', 'fp16'] as const)('%s', (precision) => {
      const tolerance = TOLERANCE[precision];

      it('matches every hidden state at every position (padPositions compute)', async () => {
        const m = await model();
        await using session = await open(m, precision, { padPositions: 'compute', cudaGraphs: 'off' });
        expect(session.precision).toBe(precision);
        const input = readFixtureInputs(fixture, m.config.padTokenId);
        expect(input.attentionMask.includes(0), 'the fixture batch has padding').toBe(true);
        const out = await session.run(input, { outputHiddenStates: true });
        const golden = expected?.get('last_hidden_state');
        expect(golden, 'expected last_hidden_state').toBeDefined();
        expect(relativeError(out.lastHiddenState, golden?.data ?? [])).toBeLessThanOrEqual(tolerance);
        expect(out.hiddenStates?.length).toBe(m.config.numHiddenLayers + 1);
        out.hiddenStates?.forEach((state, i) => {
          const g = expected?.get(`hidden_states.${i}`);
          expect(g, `expected hidden_states.${i}`).toBeDefined();
          expect(relativeError(state, g?.data ?? []), `hidden_states.${i}`).toBeLessThanOrEqual(tolerance);
        });
      });

      it('padding removal gives the same real positions and zeros at padded ones', async () => {
        const m = await model();
        const input: EncoderInput = readFixtureInputs(fixture, m.config.padTokenId);
        const h = m.config.hiddenSize;
        const real = (i: number) => input.attentionMask[Math.floor(i / h)] === 1;
        await using skip = await open(m, precision, { padPositions: 'skip', cudaGraphs: 'off' });
        await using compute = await open(m, precision, { padPositions: 'compute', cudaGraphs: 'off' });
        const a = await skip.run(input);
        const b = await compute.run(input);
        const golden = expected?.get('last_hidden_state')?.data ?? new Float32Array();
        expect(relativeError(a.lastHiddenState, golden, real)).toBeLessThanOrEqual(tolerance);
        // Same arithmetic per token; only cuBLASLt's choice of kernel for the row count may differ.
        expect(relativeError(a.lastHiddenState, b.lastHiddenState, real)).toBeLessThanOrEqual(tolerance);
        for (let i = 0; i < a.lastHiddenState.length; i++) {
          if (!real(i) && a.lastHiddenState[i] !== 0)
            throw new Error(`padded element ${i} is ${a.lastHiddenState[i]}`);
        }
        expect((skip as unknown as { lastRunStats: { tokens: number } }).lastRunStats.tokens).toBe(
          input.attentionMask.reduce((s, v) => s + v, 0),
        );
      });

      it('CUDA graph replays are bit-identical to eager runs', async () => {
        const m = await model();
        const input = readFixtureInputs(fixture, m.config.padTokenId);
        await using eager = await open(m, precision, { cudaGraphs: 'off' });
        await using graphs = await open(m, precision, { cudaGraphs: 'on' });
        const reference = (await eager.run(input)).lastHiddenState;
        const stats = () => (graphs as unknown as { lastRunStats: { graph: boolean } }).lastRunStats;
        const first = await graphs.run(input);
        expect(stats().graph).toBe(true);
        const second = await graphs.run(input);
        expect(stats().graph).toBe(true);
        expect(Buffer.from(first.lastHiddenState.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
        expect(Buffer.from(second.lastHiddenState.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
      });
    });
  });
}

/** Keeps the session type in use for the helpers above. */
export type { EncoderSession };
