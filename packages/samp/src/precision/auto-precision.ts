import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { calibrate } from '@samp/calibration';
import {
  checkPlanMatches,
  checkProfileMatches,
  type EncoderBackendV1,
  InvalidArgumentError,
  type ModelArtifacts,
  type PrecisionPlan,
  type QuantProfile,
  readPrecisionPlan,
  readQuantProfile,
  SampError,
  writePrecisionPlan,
  writeQuantProfile,
} from '@samp/core';
import { summarizePlan, toPrecisionPlan } from '@samp/recommender';
import type { WordPieceTokenizer } from '@samp/tokenizer';
import type { PipelineInput } from '../pipeline/pipeline';
import type { PipelineLogger } from '../pipeline/select-backend';
import type { PipelineTask } from '../pipeline/tasks';
import { encoderBatches, type TokenizerInput } from './encoder-batches';
import { recommendOnBackend } from './recommend-on-backend';

/** What `precision: 'auto'` needs besides the pipeline's own options. */
export interface AutoPrecisionOptions {
  /**
   * Unlabelled inputs like the ones the pipeline will serve (at least 8): calibration runs on all of
   * them, the plan is chosen on every other one and its drop checked on the rest (agreement with the base
   * precision: fp16 on a CUDA backend, else fp32).
   */
  readonly calibrationData?: readonly PipelineInput[];
  /**
   * Largest loss of agreement with the base precision (fp16 on CUDA, else fp32) accepted, as a fraction
   * (default the recommender's 0.01).
   */
  readonly accuracyDrop?: number;
  /** The most accurate plan predicted within this many ms per batch instead. */
  readonly latencyMs?: number;
  /** Where the plan and profile are cached (default `<model>/.samp-cache`, else `~/.cache/samp`). */
  readonly cacheDir?: string;
}

/** The outcome of {@link resolveAutoPrecision}. */
export interface AutoPrecision {
  readonly plan: PrecisionPlan;
  readonly profile: QuantProfile;
  /** True when both came from the cache (the second start of the same model, device and shape). */
  readonly cached: boolean;
  readonly planFile: string;
  readonly profileFile: string;
}

/** Everything {@link resolveAutoPrecision} works from. */
export interface AutoPrecisionContext extends AutoPrecisionOptions {
  readonly task: PipelineTask;
  readonly model: ModelArtifacts;
  readonly tokenizer: WordPieceTokenizer;
  readonly backend: EncoderBackendV1;
  readonly threads?: number;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly logger?: PipelineLogger;
}

const MIN_INPUTS = 8;
const SCORED_TASKS: readonly PipelineTask[] = ['classification', 'text-matching'];

const toTokenizerInput = (x: PipelineInput): TokenizerInput =>
  typeof x === 'string' ? x : x.text_pair == null ? x.text : [x.text, x.text_pair];

function checkContext(c: AutoPrecisionContext): readonly PipelineInput[] {
  if (!SCORED_TASKS.includes(c.task))
    throw new InvalidArgumentError(
      'precision',
      `'auto' scores plans by the logits of classification or text-matching heads, not ${c.task}; pass a plan from samp recommend instead`,
    );
  const data = c.calibrationData;
  if (!Array.isArray(data) || data.length < MIN_INPUTS)
    throw new InvalidArgumentError(
      'calibrationData',
      `precision 'auto' calibrates and chooses on your own unlabelled inputs: pass at least ${MIN_INPUTS} texts like those you will serve`,
    );
  if (c.accuracyDrop !== undefined && !(c.accuracyDrop >= 0 && c.accuracyDrop <= 1))
    throw new InvalidArgumentError('accuracyDrop', `expected a fraction in [0, 1], got ${c.accuracyDrop}`);
  if (c.latencyMs !== undefined && !(c.latencyMs > 0))
    throw new InvalidArgumentError('latencyMs', `expected a positive number, got ${c.latencyMs}`);
  if (c.accuracyDrop !== undefined && c.latencyMs !== undefined)
    throw new InvalidArgumentError('latencyMs', 'give accuracyDrop or latencyMs, not both');
  return data;
}

/** The sequence length plans are timed at: the 90th percentile of the data's token counts. */
function typicalLength(c: AutoPrecisionContext, inputs: readonly TokenizerInput[]): number {
  const lengths = c.tokenizer
    .encodeAll(inputs, { maxLength: c.maxLength, truncation: 'longest_first' })
    .map((e) => e.length)
    .sort((a, b) => a - b);
  return Math.max(8, lengths[Math.floor(0.9 * (lengths.length - 1))] ?? 8);
}

/** Reads a cached plan and profile when both exist and still match the model; else undefined. */
async function readCached(
  c: AutoPrecisionContext,
  planFile: string,
  profileFile: string,
): Promise<{ plan: PrecisionPlan; profile: QuantProfile } | undefined> {
  try {
    const [plan, profile] = await Promise.all([readPrecisionPlan(planFile), readQuantProfile(profileFile)]);
    checkPlanMatches(plan, c.model, planFile);
    checkProfileMatches(profile, c.model, profileFile);
    return { plan, profile };
  } catch (error) {
    // Missing, unreadable or stale files are recomputed; anything else is a real failure.
    if (SampError.isInstance(error) || (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The cache folder: next to the model when it is writable, else the user's cache. */
async function cacheFolder(c: AutoPrecisionContext): Promise<string> {
  if (c.cacheDir !== undefined) {
    await mkdir(c.cacheDir, { recursive: true });
    return c.cacheDir;
  }
  const beside = join(c.model.dir, '.samp-cache');
  try {
    await mkdir(beside, { recursive: true });
    return beside;
  } catch (error) {
    const fallback = join(homedir(), '.cache', 'samp');
    c.logger?.warn?.(`cannot write ${beside} (${(error as Error).message}); caching in ${fallback}`);
    await mkdir(fallback, { recursive: true });
    return fallback;
  }
}

/**
 * `precision: 'auto'`: calibrates a QuantProfile on the caller's unlabelled inputs, runs the recommender
 * on the chosen backend (label-free: agreement with the base precision — fp16 on a CUDA backend that runs
 * it, with int8-full, int8-ffn and fp8 as modes; fp32 elsewhere — half the inputs to choose and half held out),
 * and caches both files keyed by model fingerprint, device, shape, constraint and data, so the next start
 * reads them instead of recomputing.
 * @throws InvalidArgumentError for a task without logits, too few inputs or a bad constraint.
 * @example
 * const auto = await resolveAutoPrecision({ task: 'classification', model, tokenizer, backend,
 *   batchSize: 32, maxLength: 128, calibrationData: titles });
 * auto.plan.layers; // [{ precision: 'int8-full' }, …]
 */
export async function resolveAutoPrecision(c: AutoPrecisionContext): Promise<AutoPrecision> {
  const data = checkContext(c);
  const probe = await c.backend.probe();
  const details = probe.details as { brand?: unknown; bestIsa?: unknown; devices?: unknown };
  const device = [c.backend.name, c.backend.device, details.brand, details.bestIsa]
    .filter((x) => typeof x === 'string')
    .join(':');
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        // 2: plans on CUDA are fp16-based (version 1 searched them over fp32).
        version: 2,
        fingerprint: c.model.fingerprint,
        device,
        threads: c.threads ?? null,
        batchSize: c.batchSize,
        maxLength: c.maxLength,
        accuracyDrop: c.accuracyDrop ?? null,
        latencyMs: c.latencyMs ?? null,
        data,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const folder = await cacheFolder(c);
  const planFile = join(folder, `auto-${key}.plan.json`);
  const profileFile = join(folder, `auto-${key}.profile.json`);
  const cached = await readCached(c, planFile, profileFile);
  if (cached !== undefined) {
    c.logger?.info?.(`precision auto: cached plan ${planFile}`);
    return { ...cached, cached: true, planFile, profileFile };
  }

  const inputs = data.map(toTokenizerInput);
  const session = await c.backend.createSession(c.model, {
    precision: 'fp32',
    ...(c.threads === undefined ? {} : { threads: c.threads }),
  });
  let profile: QuantProfile;
  try {
    const batches = () => encoderBatches(c.tokenizer, c.model.config, inputs, c.maxLength, c.batchSize);
    profile = (await calibrate(session, batches)).profile;
  } finally {
    await session.dispose();
  }
  const recommendation = await recommendOnBackend({
    task: c.task,
    model: c.model,
    backend: c.backend,
    profile,
    ...(c.threads === undefined ? {} : { threads: c.threads }),
    inputs: {
      choose: data.filter((_, i) => i % 2 === 0),
      'held-out': data.filter((_, i) => i % 2 === 1),
    },
    batchSize: c.batchSize,
    sequenceLength: typicalLength(c, inputs),
    latencyRuns: 5,
    ...(c.accuracyDrop === undefined ? {} : { maxAccuracyDrop: c.accuracyDrop }),
    ...(c.latencyMs === undefined ? {} : { maxLatencyMs: c.latencyMs }),
  });
  if (!recommendation.constraintMet)
    c.logger?.warn?.(`precision auto: ${recommendation.explanation}; using the closest plan`);
  const plan = toPrecisionPlan(recommendation, { device: c.backend.device });
  await writeQuantProfile(profileFile, profile);
  await writePrecisionPlan(planFile, plan);
  c.logger?.info?.(
    `precision auto: ${summarizePlan(recommendation.choice, recommendation.metric)} (cached in ${planFile})`,
  );
  return { plan, profile, cached: false, planFile, profileFile };
}
