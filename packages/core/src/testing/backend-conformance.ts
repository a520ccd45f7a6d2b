import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { SampError } from '../errors/samp-error';
import type { ModelArtifacts } from '../model/model-artifacts';
import { SESSION_PRECISIONS, type SessionPrecision } from '../quant/precision';
import { activationTensorShape } from '../quant/tensor-names';
import type {
  BackendProbe,
  EncoderBackendV1,
  EncoderInput,
  EncoderSession,
  EncoderSessionOptions,
} from '../spec/encoder-backend';
import { maxSequenceLength } from '../spec/validate-encoder-input';
import { relativeError } from './compare';
import {
  fixturesDir as defaultFixturesDir,
  type FixtureModel,
  listFixtureModels,
  readFixtureExpected,
  readFixtureInputs,
} from './fixtures';
import { defaultModelLoader, type ModelLoader } from './load-fixture-model';

/** The checks of the backend suite, by the ids `skip` takes. */
export const BACKEND_CONFORMANCE_CHECKS = [
  'spec',
  'probe',
  'create-session',
  'output-shape',
  'padding',
  'concurrent-runs',
  'golden',
  'hidden-states',
  'observe',
  'invalid-input',
  'dispose',
] as const;

/** One of {@link BACKEND_CONFORMANCE_CHECKS}. */
export type BackendConformanceCheck = (typeof BACKEND_CONFORMANCE_CHECKS)[number];

/** Default relative errors (max |Δ| / max |expected|) by session precision. */
export const DEFAULT_TOLERANCE: Readonly<Record<SessionPrecision, number>> = {
  fp32: 1e-4,
  fp16: 2e-2,
  int8: 0.15,
  fp8: 0.15,
};

/** Options of {@link describeEncoderBackendConformance}. */
export interface BackendConformanceOptions {
  /** Fixtures folder with `manifest.json` (default: `@samp/core`'s own fixtures). */
  fixturesDir?: string;
  /** Only these fixture models (default: every model of the manifest). */
  models?: readonly string[];
  /** Checks to skip, by id (see {@link BACKEND_CONFORMANCE_CHECKS}); they show as skipped. */
  skip?: readonly BackendConformanceCheck[];
  /** Relative error allowed against golden outputs and between padded and unpadded runs. */
  tolerance?: number | Partial<Record<SessionPrecision, number>>;
  /** Precisions to open sessions at (default `['fp32']`). */
  precisions?: readonly SessionPrecision[];
  /** Extra session options per model and precision (an INT8 run needs a `profile`). */
  sessionOptions?: (
    model: ModelArtifacts,
    precision: SessionPrecision,
  ) => EncoderSessionOptions | Promise<EncoderSessionOptions>;
  /**
   * Fail, rather than skip, the session checks when the probe does not say `available`: set it where the
   * backend must work (the GPU machine), so that its tests never pass by skipping (default false).
   */
  requireAvailable?: boolean;
  /** Loads a fixture model folder (default: `@samp/core`'s `loadModel`). */
  loadModel?: ModelLoader;
}

/**
 * Registers (with vitest's `describe`/`it`) the checks every `EncoderBackendV1` must pass: the spec
 * shape, a well-formed probe, and on every fixture model and requested precision: session creation,
 * output shape, padding invariance, concurrent runs, golden outputs within tolerance, hidden states,
 * observed activations, typed errors for invalid input, and dispose semantics. When the probe is not
 * `available` the session checks are skipped (or fail, with `requireAvailable`).
 * @param name shown in the test names.
 * @param createBackend makes the backend under test (called once).
 * @example
 * // packages/encoder-cpu-vnni/test/conformance.test.ts
 * import { describeEncoderBackendConformance } from '@samp/core/testing';
 * import { createCpuVnniBackend } from '../src';
 * describeEncoderBackendConformance('cpu-vnni', createCpuVnniBackend, { precisions: ['fp32'] });
 */
export function describeEncoderBackendConformance(
  name: string,
  createBackend: () => EncoderBackendV1 | Promise<EncoderBackendV1>,
  options: BackendConformanceOptions = {},
): void {
  const skip = new Set<string>(options.skip ?? []);
  const precisions = options.precisions ?? ['fp32'];
  const loadModel = options.loadModel ?? defaultModelLoader;
  const toleranceOf = (p: SessionPrecision): number =>
    typeof options.tolerance === 'number'
      ? options.tolerance
      : (options.tolerance?.[p] ?? DEFAULT_TOLERANCE[p]);
  const check = (
    id: BackendConformanceCheck,
    title: string,
    fn: (ctx: TestContext) => Promise<void> | void,
  ): void => {
    (skip.has(id) ? it.skip : it)(`${title} [${id}]`, fn);
  };

  describe(`${name}: EncoderBackendV1 conformance`, () => {
    let backend: EncoderBackendV1 | undefined;
    let probe: BackendProbe | undefined;
    const sessions: EncoderSession[] = [];

    beforeAll(async () => {
      backend = await createBackend();
      probe = await backend.probe();
    });
    afterAll(async () => {
      for (const s of sessions) await s.dispose();
    });

    /** The backend, once its probe says it can run; otherwise skips (or fails) the calling test. */
    const available = (ctx: TestContext): EncoderBackendV1 => {
      if (backend === undefined || probe === undefined) throw new Error('the backend could not be created');
      if (probe.status !== 'available') {
        const why = `${name} is ${probe.status}: ${probe.reason ?? 'no reason given'}`;
        if (options.requireAvailable === true) throw new Error(`${why} (requireAvailable is set)`);
        ctx.skip(why);
      }
      return backend;
    };

    check('spec', 'declares specificationVersion v1, a name and a device', () => {
      expect(backend?.specificationVersion).toBe('v1');
      expect(typeof backend?.name).toBe('string');
      expect(backend?.name.length).toBeGreaterThan(0);
      expect(typeof backend?.device).toBe('string');
      expect(typeof backend?.createSession).toBe('function');
    });

    check('probe', 'probe() resolves with a well-formed BackendProbe', async () => {
      // Probe again: a probe may be called any number of times.
      const again = await backend?.probe();
      for (const p of [probe, again]) {
        expect(['available', 'not-built', 'unavailable', 'failed']).toContain(p?.status);
        expect(typeof p?.details).toBe('object');
        for (const [key, value] of Object.entries(p?.details ?? {})) {
          const ok =
            ['string', 'number', 'boolean'].includes(typeof value) ||
            (Array.isArray(value) && value.every((v) => typeof v === 'string'));
          expect(ok, `details.${key}`).toBe(true);
        }
        if (p?.status !== 'available')
          expect(typeof p?.reason, 'reason of a probe that is not available').toBe('string');
      }
    });

    let fixtures: FixtureModel[];
    try {
      fixtures = listFixtureModels(options.fixturesDir ?? defaultFixturesDir);
      if (options.models !== undefined) fixtures = fixtures.filter((f) => options.models?.includes(f.name));
    } catch (error) {
      it('finds the fixture models', () => {
        throw error;
      });
      return;
    }
    if (fixtures.length === 0) {
      it('finds the fixture models', () => {
        throw new Error(`no fixture model matched in ${options.fixturesDir ?? defaultFixturesDir}`);
      });
    }

    for (const fixture of fixtures) {
      let modelPromise: Promise<ModelArtifacts> | undefined;
      const model = (): Promise<ModelArtifacts> => {
        modelPromise ??= loadModel(fixture.dir);
        return modelPromise;
      };
      const openSession = async (
        b: EncoderBackendV1,
        precision: SessionPrecision,
      ): Promise<EncoderSession> => {
        const m = await model();
        const extra = (await options.sessionOptions?.(m, precision)) ?? {};
        const session = await b.createSession(m, { ...extra, precision });
        sessions.push(session);
        return session;
      };

      for (const precision of precisions) {
        if (!SESSION_PRECISIONS.includes(precision))
          throw new Error(`unknown precision ${String(precision)}`);
        const tolerance = toleranceOf(precision);
        describe(`${fixture.name} (${fixture.modelType}) at ${precision}`, () => {
          let shared: Promise<EncoderSession> | undefined;
          const session = (ctx: TestContext): Promise<EncoderSession> => {
            const b = available(ctx);
            shared ??= openSession(b, precision);
            return shared;
          };
          const inputs = async (): Promise<EncoderInput> =>
            readFixtureInputs(fixture, (await model()).config.padTokenId);
          const isReal = (input: EncoderInput, hidden: number) => (i: number) =>
            input.attentionMask[Math.floor(i / hidden)] === 1;

          check('create-session', 'creates a session that reports its model and precision', async (ctx) => {
            const s = await session(ctx);
            expect(s.model).toBe(await model());
            expect(s.precision).toBe(precision);
          });

          check('output-shape', 'returns [batch, seq, hidden] finite hidden states', async (ctx) => {
            const s = await session(ctx);
            const input = await inputs();
            const out = await s.run(input);
            const hidden = s.model.config.hiddenSize;
            expect(out.batchSize).toBe(input.batchSize);
            expect(out.sequenceLength).toBe(input.sequenceLength);
            expect(out.hiddenSize).toBe(hidden);
            expect(out.lastHiddenState).toBeInstanceOf(Float32Array);
            expect(out.lastHiddenState.length).toBe(input.batchSize * input.sequenceLength * hidden);
            const real = isReal(input, hidden);
            for (let i = 0; i < out.lastHiddenState.length; i++) {
              if (real(i) && !Number.isFinite(out.lastHiddenState[i]))
                throw new Error(`lastHiddenState[${i}] is ${out.lastHiddenState[i]}`);
            }
          });

          check('padding', 'padding and batch neighbours do not change a row’s outputs', async (ctx) => {
            const s = await session(ctx);
            const input = await inputs();
            const config = s.model.config;
            const hidden = config.hiddenSize;
            const length = realLength(input, 0);
            const alone = await s.run(sliceRow(input, 0, length, length, config.padTokenId));
            const extra = Math.min(length + 5, maxSequenceLength(config));
            const padded = await s.run(sliceRow(input, 0, length, extra, config.padTokenId));
            const real = (i: number) => i < length * hidden;
            const a = alone.lastHiddenState;
            expect(
              relativeError(padded.lastHiddenState.subarray(0, length * hidden), a, real),
            ).toBeLessThanOrEqual(tolerance);
            if (input.batchSize > 1) {
              const batch = await s.run(input);
              const row0 = batch.lastHiddenState.subarray(0, length * hidden);
              expect(relativeError(row0, a, real)).toBeLessThanOrEqual(tolerance);
            }
          });

          check('concurrent-runs', 'overlapping runs give the results of separate runs', async (ctx) => {
            const s = await session(ctx);
            const input = await inputs();
            const [x, y] = await Promise.all([s.run(input), s.run(input)]);
            const single = await s.run(input);
            const real = isReal(input, s.model.config.hiddenSize);
            expect(relativeError(x.lastHiddenState, single.lastHiddenState, real)).toBeLessThanOrEqual(
              tolerance,
            );
            expect(relativeError(y.lastHiddenState, single.lastHiddenState, real)).toBeLessThanOrEqual(
              tolerance,
            );
          });

          check('golden', `matches the transformers outputs within ${tolerance}`, async (ctx) => {
            const expected = readFixtureExpected(fixture);
            const golden = expected?.get('last_hidden_state') ?? expected?.get('lastHiddenState');
            if (golden === undefined) ctx.skip(`fixture ${fixture.name} has no expected last_hidden_state`);
            const s = await session(ctx);
            const input = await inputs();
            const out = await s.run(input);
            const g = golden as NonNullable<typeof golden>;
            expect(g.shape).toEqual([input.batchSize, input.sequenceLength, out.hiddenSize]);
            const error = relativeError(out.lastHiddenState, g.data, isReal(input, out.hiddenSize));
            expect(error).toBeLessThanOrEqual(tolerance);
          });

          check('hidden-states', 'returns numHiddenLayers + 1 hidden states on request', async (ctx) => {
            const s = await session(ctx);
            const input = await inputs();
            const out = await s.run(input, { outputHiddenStates: true });
            const layers = s.model.config.numHiddenLayers;
            expect(out.hiddenStates?.length).toBe(layers + 1);
            const real = isReal(input, out.hiddenSize);
            const expected = readFixtureExpected(fixture);
            out.hiddenStates?.forEach((state, i) => {
              expect(state.length, `hiddenStates[${i}]`).toBe(out.lastHiddenState.length);
              const golden = expected?.get(`hidden_states.${i}`);
              if (golden !== undefined)
                expect(relativeError(state, golden.data, real), `hiddenStates[${i}]`).toBeLessThanOrEqual(
                  tolerance,
                );
            });
            const last = out.hiddenStates?.[layers] ?? new Float32Array();
            expect(relativeError(last, out.lastHiddenState, real)).toBeLessThanOrEqual(tolerance);
          });

          check('observe', 'returns observed activations in their documented layout', async (ctx) => {
            const s = await session(ctx);
            const input = await inputs();
            const names = ['embeddings.output', 'layers.0.attention.probs', 'layers.0.ffn.output.input'];
            const out = await s.run(input, { observe: names });
            const { batchSize: b, sequenceLength: n } = input;
            for (const tensorName of names) {
              const t = out.observed?.[tensorName];
              const shape = activationTensorShape(tensorName, s.model.config, b, n);
              expect(t?.shape, tensorName).toEqual(shape);
              expect(t?.data.length, tensorName).toBe(shape?.reduce((x, y) => x * y, 1));
            }
            // Softmax rows over the real keys of each real query sum to 1.
            const probs = out.observed?.['layers.0.attention.probs']?.data ?? new Float32Array();
            const heads = s.model.config.numAttentionHeads;
            for (let row = 0; row < b; row++) {
              const len = realLength(input, row);
              for (let h = 0; h < heads; h++) {
                for (let q = 0; q < len; q++) {
                  const base = ((row * heads + h) * n + q) * n;
                  let sum = 0;
                  for (let k = 0; k < len; k++) sum += probs[base + k] as number;
                  expect(Math.abs(sum - 1), `probs row ${row} head ${h} query ${q}`).toBeLessThanOrEqual(
                    Math.max(1e-3, tolerance),
                  );
                }
              }
            }
          });

          check('invalid-input', 'rejects invalid input with typed errors', async (ctx) => {
            const s = await session(ctx);
            const config = s.model.config;
            const ok = sliceRow(await inputs(), 0, 1, 1, config.padTokenId);
            const codeOf = async (input: unknown): Promise<string | undefined> => {
              try {
                await s.run(input as EncoderInput);
              } catch (error) {
                return SampError.isInstance(error) ? error.code : `not a SampError: ${String(error)}`;
              }
              return 'resolved';
            };
            expect(
              await codeOf({ ...ok, inputIds: Int32Array.of(config.vocabSize) }),
              'id outside the vocabulary',
            ).toBe('SAMP_INVALID_ARGUMENT');
            expect(await codeOf({ ...ok, inputIds: Int32Array.of(-1) }), 'negative id').toBe(
              'SAMP_INVALID_ARGUMENT',
            );
            expect(
              await codeOf({ ...ok, attentionMask: Int32Array.of(1, 1) }),
              'mask of the wrong length',
            ).toBe('SAMP_INVALID_ARGUMENT');
            expect(await codeOf({ ...ok, inputIds: [0] }), 'ids not an Int32Array').toBe(
              'SAMP_INVALID_ARGUMENT',
            );
            const long = maxSequenceLength(config) + 1;
            expect(
              await codeOf({
                inputIds: new Int32Array(long),
                attentionMask: new Int32Array(long).fill(1),
                batchSize: 1,
                sequenceLength: long,
              }),
              'sequence longer than the model allows',
            ).toBe('SAMP_INPUT_TOO_LONG');
          });

          check('dispose', 'dispose is idempotent and a disposed session refuses to run', async (ctx) => {
            const b = available(ctx);
            const s = await openSession(b, precision);
            const input = sliceRow(await inputs(), 0, 1, 1, s.model.config.padTokenId);
            await s.run(input);
            await s.dispose();
            await s.dispose();
            await s[Symbol.asyncDispose]();
            let code: string | undefined;
            try {
              await s.run(input);
            } catch (error) {
              code = SampError.isInstance(error) ? error.code : String(error);
            }
            expect(code).toBe('SAMP_SESSION_DISPOSED');
          });
        });
      }
    }
  });
}

/** Tokens of a row before its padding. */
function realLength(input: EncoderInput, row: number): number {
  let n = 0;
  while (n < input.sequenceLength && input.attentionMask[row * input.sequenceLength + n] === 1) n++;
  return n;
}

/** One row's first `length` tokens, right-padded to `sequenceLength`. */
function sliceRow(
  input: EncoderInput,
  row: number,
  length: number,
  sequenceLength: number,
  padTokenId: number,
): EncoderInput {
  const start = row * input.sequenceLength;
  const out: EncoderInput = {
    inputIds: new Int32Array(sequenceLength).fill(padTokenId),
    attentionMask: new Int32Array(sequenceLength),
    batchSize: 1,
    sequenceLength,
  };
  out.inputIds.set(input.inputIds.subarray(start, start + length));
  out.attentionMask.fill(1, 0, length);
  if (input.tokenTypeIds !== undefined) {
    out.tokenTypeIds = new Int32Array(sequenceLength);
    out.tokenTypeIds.set(input.tokenTypeIds.subarray(start, start + length));
  }
  return out;
}
