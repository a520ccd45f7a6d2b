import { resolve } from 'node:path';
import { isSessionPrecision } from '@samp/core';
import type { Pipeline, PipelineOptions } from '../pipeline';
import { pipeline } from '../pipeline';
import { TaskNotSupportedError } from '../pipeline/errors';
import type { CommandIo } from './command';
import { integerOption, requireOption } from './parse-options';
import { UsageError } from './usage-error';

/** The options `predict` and `eval` share, as node:util parseArgs takes them. */
export const PIPELINE_CLI_OPTIONS = {
  model: { type: 'string' },
  task: { type: 'string' },
  device: { type: 'string' },
  precision: { type: 'string' },
  profile: { type: 'string' },
  plan: { type: 'string' },
  'max-length': { type: 'string' },
  'batch-size': { type: 'string' },
  threads: { type: 'string' },
} as const;

/** Their usage lines. */
export const PIPELINE_CLI_USAGE = `  --model DIR         a Hugging Face model folder (config.json, weights, vocab.txt or tokenizer.json)
  --task T            auto (default: from config.json architectures), classification,
                      token-classification or text-matching
  --device D          cpu, cuda or auto (default auto: CUDA, else the CPU); a named device never falls back
  --precision P       fp32 (default), fp16, int8 or fp8, where the backend supports it
  --profile FILE      a QuantProfile (from samp calibrate), for INT8 and FP8
  --plan FILE         a PrecisionPlan (from samp recommend); wins over --precision
  --max-length N      tokens per input, special tokens included; longer inputs are truncated
                      longest_first (default: the tokenizer's model_max_length)
  --batch-size B      inputs per encoder run (default 32); inputs are sorted by length first
  --threads N         CPU threads (default: the backend's choice)`;

const CLI_TASKS = ['auto', 'classification', 'token-classification', 'text-matching'] as const;
const DEVICES = ['auto', 'cpu', 'cuda'] as const;

/** What `predict`/`eval` can run: the tasks with a label or entity output. */
export type CliTask = Exclude<(typeof CLI_TASKS)[number], 'auto'>;

interface Values {
  readonly model?: string | undefined;
  readonly task?: string | undefined;
  readonly device?: string | undefined;
  readonly precision?: string | undefined;
  readonly profile?: string | undefined;
  readonly plan?: string | undefined;
  readonly 'max-length'?: string | undefined;
  readonly 'batch-size'?: string | undefined;
  readonly threads?: string | undefined;
}

/**
 * Checks the shared options (usage errors, exit 2) and opens the pipeline they describe. `auto` must
 * resolve to a task with a head: a bare encoder gets a TaskNotSupportedError pointing at
 * `--task text-matching` and `samp encode`.
 * @param command the command's name, for messages on stderr.
 */
export async function openCliPipeline(values: Values, io: CommandIo, command: string): Promise<Pipeline> {
  const model = requireOption(values.model, 'model');
  const task = values.task ?? 'auto';
  if (!(CLI_TASKS as readonly string[]).includes(task))
    throw new UsageError(`--task expects ${CLI_TASKS.join(', ')}, got "${task}"`);
  const device = values.device ?? 'auto';
  if (!(DEVICES as readonly string[]).includes(device))
    throw new UsageError(`--device expects ${DEVICES.join(', ')}, got "${device}"`);
  const precision = values.precision ?? 'fp32';
  if (!isSessionPrecision(precision))
    throw new UsageError(`--precision expects fp32, fp16 or int8, got "${precision}"`);
  const maxLength = integerOption(values['max-length'], 'max-length', 3);
  const batchSize = integerOption(values['batch-size'], 'batch-size', 1);
  const threads = integerOption(values.threads, 'threads', 0);
  const options: PipelineOptions = {
    model: resolve(io.cwd, model),
    device: device as (typeof DEVICES)[number],
    precision,
    ...(values.profile === undefined ? {} : { profile: resolve(io.cwd, values.profile) }),
    ...(values.plan === undefined ? {} : { plan: resolve(io.cwd, values.plan) }),
    ...(maxLength === undefined ? {} : { maxLength }),
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(threads === undefined ? {} : { threads }),
    // Which backend runs and why others were skipped: for a person at a terminal only.
    ...(io.stderrIsTty
      ? { logger: { info: (m: string) => io.stderr.write(`samp ${command}: ${m.replace(/^samp: /, '')}\n`) } }
      : {}),
  };
  const p = await pipeline(task, options);
  if (p.task === 'feature-extraction') {
    await p.dispose();
    throw new TaskNotSupportedError(
      'auto',
      p.model.dir,
      p.model.config.architectures,
      `samp ${command} needs a …ForSequenceClassification or …ForTokenClassification head (or --task text-matching to compare text pairs with a bare encoder); samp encode gives hidden states`,
    );
  }
  return p;
}
