import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { parseModelConfig } from '../model/config';
import type { ModelArtifacts } from '../model/model-artifacts';
import type { EncoderOutput } from '../spec/encoder-backend';
import type { HeadContext, HeadCreateOptions, HeadInstance, HeadV1 } from '../spec/head';
import { fixturesDir as defaultFixturesDir, type FixtureModel, listFixtureModels } from './fixtures';
import { defaultModelLoader, type ModelLoader } from './load-fixture-model';

/** The checks of the head suite, by the ids `skip` takes. */
export const HEAD_CONFORMANCE_CHECKS = [
  'spec',
  'supports',
  'create',
  'decode',
  'deterministic',
  'padding',
  'dispose',
] as const;

/** One of {@link HEAD_CONFORMANCE_CHECKS}. */
export type HeadConformanceCheck = (typeof HEAD_CONFORMANCE_CHECKS)[number];

/** Options of {@link describeHeadConformance}. */
export interface HeadConformanceOptions<Output> {
  /** Fixtures folder with `manifest.json` (default: `@samp/core`'s own fixtures). */
  fixturesDir?: string;
  /** Only these fixture models (default: every model of the manifest). */
  models?: readonly string[];
  /** Checks to skip, by id (see {@link HEAD_CONFORMANCE_CHECKS}); they show as skipped. */
  skip?: readonly HeadConformanceCheck[];
  /** Options passed to `create`. */
  createOptions?: HeadCreateOptions;
  /** Extra checks on each decoded row (throw or `expect` inside). */
  validateOutput?: (output: Output, row: number, model: ModelArtifacts) => void;
  /** Loads a fixture model folder (default: `@samp/core`'s `loadModel`). */
  loadModel?: ModelLoader;
}

/**
 * Registers (with vitest's `describe`/`it`) the checks every `HeadV1` must pass: the spec shape,
 * `supports` answering for every fixture model, and on each supported model: `create`, one result per
 * row from `decode`, deterministic results, results that ignore whatever sits at padded positions, and
 * an idempotent `dispose`. Decoding is fed synthetic encoder outputs, so no backend is involved. At
 * least one fixture model must be supported.
 * @param name shown in the test names.
 * @param head the head under test.
 * @example
 * // packages/head-classification/test/conformance.test.ts
 * import { describeHeadConformance } from '@samp/core/testing';
 * import { classificationHead } from '../src';
 * describeHeadConformance('classification', classificationHead, {
 *   validateOutput: (labels) => expect(labels.length).toBeGreaterThan(0),
 * });
 */
export function describeHeadConformance<Output>(
  name: string,
  head: HeadV1<Output>,
  options: HeadConformanceOptions<Output> = {},
): void {
  const skip = new Set<string>(options.skip ?? []);
  const loadModel = options.loadModel ?? defaultModelLoader;
  const check = (
    id: HeadConformanceCheck,
    title: string,
    fn: (ctx: TestContext) => Promise<void> | void,
  ): void => {
    (skip.has(id) ? it.skip : it)(`${title} [${id}]`, fn);
  };

  describe(`${name}: HeadV1 conformance`, () => {
    check('spec', 'declares specificationVersion v1, a name and its tasks', () => {
      expect(head.specificationVersion).toBe('v1');
      expect(typeof head.name).toBe('string');
      expect(head.name.length).toBeGreaterThan(0);
      expect(Array.isArray(head.tasks)).toBe(true);
      expect(head.tasks.length).toBeGreaterThan(0);
      for (const task of head.tasks) expect(typeof task).toBe('string');
      expect(new Set(head.tasks).size).toBe(head.tasks.length);
      expect(typeof head.supports).toBe('function');
      expect(typeof head.create).toBe('function');
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

    const models = new Map<string, Promise<ModelArtifacts>>();
    const model = (fixture: FixtureModel): Promise<ModelArtifacts> => {
      let m = models.get(fixture.name);
      if (m === undefined) {
        m = loadModel(fixture.dir);
        models.set(fixture.name, m);
      }
      return m;
    };

    check('supports', 'supports() answers for every fixture model, and accepts at least one', async () => {
      const answers: string[] = [];
      for (const fixture of fixtures) {
        const support = head.supports((await model(fixture)).config);
        expect(typeof support.supported, fixture.name).toBe('boolean');
        if (!support.supported) {
          expect(typeof support.reason, `${fixture.name}: reason`).toBe('string');
          expect(support.reason.length, `${fixture.name}: reason`).toBeGreaterThan(0);
          answers.push(`${fixture.name}: ${support.reason}`);
        }
      }
      if (answers.length === fixtures.length)
        throw new Error(`no fixture model is supported:\n${answers.join('\n')}`);
    });

    for (const fixture of fixtures) {
      // A fixture the head does not support gets one test of the refusal instead of skipped checks.
      const refusal = refusalOf(head, fixture.dir);
      if (refusal !== undefined) {
        it(`${fixture.name}: supports() refuses it and says why`, () => {
          expect(refusal.length).toBeGreaterThan(0);
        });
        continue;
      }
      describe(fixture.name, () => {
        let instance: Promise<HeadInstance<Output> | undefined> | undefined;
        /** The head bound to this fixture, or `undefined` when the head does not support it. */
        const bound = (): Promise<HeadInstance<Output> | undefined> => {
          instance ??= model(fixture).then((m) =>
            head.supports(m.config).supported ? head.create(m, options.createOptions) : undefined,
          );
          return instance;
        };
        const decode = async (
          ctx: TestContext,
          padValue?: number,
        ): Promise<{ results: Output[]; m: ModelArtifacts }> => {
          const h = await bound();
          if (h === undefined) ctx.skip(`${name} does not support ${fixture.name}`);
          const m = await model(fixture);
          const { output, context } = syntheticBatch(m, padValue);
          return { results: (h as HeadInstance<Output>).decode(output, context), m };
        };

        check('create', 'creates an instance', async (ctx) => {
          const h = await bound();
          if (h === undefined) ctx.skip(`${name} does not support ${fixture.name}`);
          expect(typeof h?.decode).toBe('function');
        });

        check('decode', 'decode() returns one result per row', async (ctx) => {
          const r = await decode(ctx);
          expect(Array.isArray(r.results)).toBe(true);
          expect(r.results.length).toBe(2);
          for (const [row, result] of r.results.entries()) options.validateOutput?.(result, row, r.m);
        });

        check('deterministic', 'decode() gives the same results for the same batch', async (ctx) => {
          const a = await decode(ctx);
          const b = await decode(ctx);
          expect(b.results).toEqual(a.results);
        });

        check('padding', 'decode() ignores the values at padded positions', async (ctx) => {
          const a = await decode(ctx);
          const b = await decode(ctx, 1e3);
          expect(b.results).toEqual(a.results);
        });

        check('dispose', 'dispose(), when present, is idempotent', async () => {
          const h = await bound();
          if (h?.dispose === undefined) return;
          await h.dispose();
          await h.dispose();
          instance = undefined;
        });
      });
    }
  });
}

/** The reason a head gives for not supporting a fixture model, read from its config.json; undefined if supported. */
function refusalOf(head: HeadV1<unknown>, dir: string): string | undefined {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return undefined;
  const support = head.supports(parseModelConfig(JSON.parse(readFileSync(file, 'utf8')), file));
  return support.supported ? undefined : support.reason;
}

/**
 * A deterministic two-row batch for a model: row 0 fills all 6 positions, row 1 has 4 real tokens and
 * 2 padded ones whose hidden states are `padValue` (default: pseudo-random like the rest).
 */
function syntheticBatch(
  model: ModelArtifacts,
  padValue?: number,
): { output: EncoderOutput; context: HeadContext } {
  const batchSize = 2;
  const sequenceLength = 6;
  const hiddenSize = model.config.hiddenSize;
  const attentionMask = Int32Array.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0);
  const lastHiddenState = new Float32Array(batchSize * sequenceLength * hiddenSize);
  let seed = 12345;
  for (let i = 0; i < lastHiddenState.length; i++) {
    // xorshift32: reproducible values in [-1, 1) without Math.random.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    const token = Math.floor(i / hiddenSize);
    lastHiddenState[i] =
      padValue !== undefined && attentionMask[token] === 0 ? padValue : (seed >>> 0) / 2 ** 31 - 1;
  }
  const texts = ['a tiny text', 'two'];
  const offsets = [
    Int32Array.of(0, 0, 0, 1, 2, 6, 7, 9, 9, 11, 0, 0),
    Int32Array.of(0, 0, 0, 2, 2, 3, 0, 0, 0, 0, 0, 0),
  ];
  return {
    output: { lastHiddenState, batchSize, sequenceLength, hiddenSize },
    context: { attentionMask, offsets, texts },
  };
}
