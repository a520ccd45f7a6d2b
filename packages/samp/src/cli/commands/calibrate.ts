import { access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type CalibrationReport,
  calibrate,
  DEFAULT_CALIBRATION_METHOD,
  DEFAULT_PERCENTILE,
  EmptyCalibrationSetError,
} from '@samp/calibration';
import {
  CALIBRATION_METHODS,
  type CalibrationMethod,
  type EncoderInput,
  InvalidArgumentError,
  loadModel,
  type ModelConfig,
  maxSequenceLength,
  writeQuantProfile,
} from '@samp/core';
import { fromModelDir, type WordPieceTokenizer } from '@samp/tokenizer';
import { selectBackend } from '../../pipeline/select-backend';
import { encoderBatches, type TokenizerInput } from '../../precision/encoder-batches';
import type { Command, CommandIo } from '../command';
import { formatTable } from '../format-table';
import { openLines, readTextLine } from '../jsonl';
import { integerOption, parseOptions, requireOption } from '../parse-options';
import { createProgressBar } from '../progress-bar';
import { UsageError } from '../usage-error';

const usage = `usage: samp calibrate --model DIR --data FILE.jsonl --out PROFILE.json
                      [--method max|percentile|mse|entropy] [--percentile P] [--samples N]
                      [--smooth-quant ALPHA] [--device cpu|cuda|auto] [--max-length N]
                      [--batch-size B] [--threads N] [--json]

Runs the model in FP32 over JSON Lines of predict inputs {"text": str, "text_pair"?: str} (other
fields, such as labels, are ignored), observes every activation an INT8 kernel quantizes, and writes
a versioned QuantProfile (activation scales by the method, per-channel weight scales) for --profile.
Prints a summary; with a terminal on stderr, a progress bar and a table of every tensor's SQNR under
each method there too.

  --model DIR         a Hugging Face model folder (config.json, weights, vocab.txt or tokenizer.json)
  --data FILE         the calibration set (read in one streaming pass, two with --smooth-quant)
  --out FILE          where the profile goes (written atomically)
  --method M          max, percentile, mse or entropy (default ${DEFAULT_CALIBRATION_METHOD})
  --percentile P      the percentile of |x| the percentile method keeps (default ${DEFAULT_PERCENTILE})
  --samples N         calibrate on the first N lines only (default: every line)
  --smooth-quant A    SmoothQuant migration strength in [0, 1]: factors are computed and recorded in the
                      profile, which then belongs to the smoothed model (applySmoothing from
                      @samp/calibration rebuilds it from the original; other models refuse the profile)
  --device D          cpu, cuda or auto (default auto: CUDA, else the CPU); a named device never falls back
  --max-length N      tokens per input, special tokens included (default: the tokenizer's model_max_length)
  --batch-size B      inputs per encoder run (default 32); inputs are sorted by length in chunks first
  --threads N         CPU threads (default: the backend's choice)
  --json              print one JSON object on stdout instead of the text summary`;

/** What `samp calibrate --json` prints. */
export interface CalibrateSummary {
  readonly profile: string;
  readonly model: string;
  readonly backend: string;
  readonly device: string;
  readonly method: CalibrationMethod;
  readonly methodOptions: CalibrationReport['methodOptions'];
  readonly smoothQuantAlpha: number | null;
  readonly lines: number;
  readonly tokens: number;
  readonly batches: number;
  /** Wall time of the calibration passes and the method search (model loading excluded). */
  readonly seconds: number;
  /** Each method's SQNR in dB, averaged over the tensors. */
  readonly meanSqnrDb: Readonly<Record<CalibrationMethod, number>>;
  readonly tensors: readonly {
    readonly name: string;
    readonly absMax: number;
    readonly scale: number;
    readonly thresholds: Readonly<Record<CalibrationMethod, number>>;
    readonly sqnrDb: Readonly<Record<CalibrationMethod, number>>;
    readonly bestBySqnr: CalibrationMethod;
  }[];
}

/** Lines tokenized and sorted by length together: enough to batch with little padding, never the whole file. */
const CHUNK_BATCHES = 16;

interface BatchReading {
  readonly data: string;
  readonly io: CommandIo;
  readonly tokenizer: WordPieceTokenizer;
  readonly config: ModelConfig;
  readonly samples: number | undefined;
  readonly maxLength: number;
  readonly batchSize: number;
}

/**
 * One streaming pass over the data file: lines parsed and checked, tokenized a chunk at a time, sorted
 * by length within the chunk and packed into padded batches.
 * @throws InvalidArgumentError naming the file, line and field of a bad line; EmptyCalibrationSetError
 *   when the file has no line.
 */
async function* readCalibrationBatches(r: BatchReading): AsyncGenerator<EncoderInput> {
  const source = await openLines(r.data, r.io, '--data');
  let inputs: TokenizerInput[] = [];
  let count = 0;
  const pack = function* (): Generator<EncoderInput> {
    const chunk = inputs;
    inputs = [];
    yield* encoderBatches(r.tokenizer, r.config, chunk, r.maxLength, r.batchSize);
  };
  try {
    for await (const text of source.lines) {
      if (r.samples !== undefined && count >= r.samples) break;
      count++;
      const line = readTextLine(text, `${source.name} line ${count}`);
      inputs.push(line.pair === undefined ? line.text : [line.text, line.pair]);
      if (inputs.length >= r.batchSize * CHUNK_BATCHES) yield* pack();
    }
    if (inputs.length > 0) yield* pack();
  } finally {
    source.close();
  }
  if (count === 0) {
    throw new EmptyCalibrationSetError(
      source.name,
      'has no lines to calibrate on (expected JSON Lines {"text": str, "text_pair"?: str})',
    );
  }
}

async function countLines(data: string, io: CommandIo, samples: number | undefined): Promise<number> {
  const source = await openLines(data, io, '--data');
  let n = 0;
  try {
    for await (const _ of source.lines) {
      n++;
      if (samples !== undefined && n >= samples) break;
    }
  } finally {
    source.close();
  }
  return n;
}

function numberOption(
  value: string | undefined,
  name: string,
  check: (x: number) => boolean,
  expected: string,
): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || !check(x))
    throw new UsageError(`--${name} expects ${expected}, got "${value}"`);
  return x;
}

const DEVICES = ['auto', 'cpu', 'cuda'] as const;

function mean(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? Number.POSITIVE_INFINITY : finite.reduce((a, b) => a + b, 0) / finite.length;
}

function summarize(
  report: CalibrationReport,
  base: Omit<
    CalibrateSummary,
    'method' | 'methodOptions' | 'lines' | 'tokens' | 'batches' | 'meanSqnrDb' | 'tensors'
  >,
): CalibrateSummary {
  const meanSqnrDb = {} as Record<CalibrationMethod, number>;
  for (const m of CALIBRATION_METHODS) meanSqnrDb[m] = mean(report.tensors.map((t) => t.methods[m].sqnrDb));
  return {
    ...base,
    method: report.method,
    methodOptions: report.methodOptions,
    lines: report.rows,
    tokens: report.tokens,
    batches: report.batches,
    meanSqnrDb,
    tensors: report.tensors.map((t) => ({
      name: t.name,
      absMax: t.absMax,
      scale: t.scale,
      thresholds: Object.fromEntries(CALIBRATION_METHODS.map((m) => [m, t.methods[m].threshold])) as Record<
        CalibrationMethod,
        number
      >,
      sqnrDb: Object.fromEntries(CALIBRATION_METHODS.map((m) => [m, t.methods[m].sqnrDb])) as Record<
        CalibrationMethod,
        number
      >,
      bestBySqnr: t.bestBySqnr,
    })),
  };
}

const db = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'inf');

function summaryText(s: CalibrateSummary): string {
  const options = Object.entries(s.methodOptions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${[
    `profile     ${s.profile}`,
    `model       ${s.model} (${s.backend} backend, ${s.device})`,
    `method      ${s.method}${options === '' ? '' : ` (${options})`}`,
    `calibrated  ${s.lines} lines, ${s.tokens} tokens in ${s.batches} batches, ${s.seconds.toFixed(2)} s`,
    `SQNR        mean over ${s.tensors.length} tensors (dB): ${CALIBRATION_METHODS.map((m) => `${m} ${db(s.meanSqnrDb[m])}`).join(', ')}`,
  ].join('\n')}\n`;
}

function tensorTable(s: CalibrateSummary): string {
  return formatTable(
    ['tensor', 'max |x|', `scale (${s.method})`, ...CALIBRATION_METHODS.map((m) => `${m} dB`), 'best'],
    s.tensors.map((t) => [
      t.name,
      t.absMax.toPrecision(4),
      t.scale.toPrecision(4),
      ...CALIBRATION_METHODS.map((m) => db(t.sqnrDb[m])),
      t.bestBySqnr,
    ]),
  );
}

/** `samp calibrate`: a QuantProfile from FP32 activations over a calibration set (docs/cli.md). */
export const calibrateCommand: Command = {
  name: 'calibrate',
  summary: 'calibrate INT8 activation scales on JSON Lines of inputs and write a QuantProfile',
  usage,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const values = parseOptions(argv, {
      model: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      method: { type: 'string' },
      percentile: { type: 'string' },
      samples: { type: 'string' },
      'smooth-quant': { type: 'string' },
      device: { type: 'string' },
      'max-length': { type: 'string' },
      'batch-size': { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    });
    const modelDir = resolve(io.cwd, requireOption(values.model, 'model'));
    const data = requireOption(values.data, 'data');
    const out = resolve(io.cwd, requireOption(values.out, 'out'));
    const method = values.method ?? DEFAULT_CALIBRATION_METHOD;
    if (!(CALIBRATION_METHODS as readonly string[]).includes(method))
      throw new UsageError(`--method expects ${CALIBRATION_METHODS.join(', ')}, got "${method}"`);
    const percentile = numberOption(
      values.percentile,
      'percentile',
      (x) => x > 0 && x <= 100,
      'a number in (0, 100]',
    );
    const alpha = numberOption(
      values['smooth-quant'],
      'smooth-quant',
      (x) => x >= 0 && x <= 1,
      'a number from 0 to 1',
    );
    const samples = integerOption(values.samples, 'samples', 1);
    const batchSize = integerOption(values['batch-size'], 'batch-size', 1) ?? 32;
    const threads = integerOption(values.threads, 'threads', 0);
    const requestedLength = integerOption(values['max-length'], 'max-length', 3);
    const device = values.device ?? 'auto';
    if (!(DEVICES as readonly string[]).includes(device))
      throw new UsageError(`--device expects ${DEVICES.join(', ')}, got "${device}"`);

    // Cheap checks first: a missing data file or an unwritable output folder before the model loads.
    (await openLines(data, io, '--data')).close();
    await access(dirname(out), constants.W_OK).catch((e: Error) => {
      throw new InvalidArgumentError('--out', `cannot write ${out}: ${e.message}`);
    });

    // Both load at once; the model's error comes first when both fail (a folder that is not a model).
    const [modelResult, tokenizerResult] = await Promise.allSettled([
      loadModel(modelDir),
      fromModelDir(modelDir),
    ]);
    if (modelResult.status === 'rejected') throw modelResult.reason;
    if (tokenizerResult.status === 'rejected') throw tokenizerResult.reason;
    const model = modelResult.value;
    const tokenizer = tokenizerResult.value;
    const limit = maxSequenceLength(model.config);
    if (requestedLength !== undefined && requestedLength > limit)
      throw new UsageError(
        `--max-length ${requestedLength} is more than ${model.dir} accepts (${limit} positions)`,
      );
    const maxLength = requestedLength ?? Math.min(limit, tokenizer.modelMaxLength ?? limit);
    const logger = io.stderrIsTty
      ? { info: (m: string) => io.stderr.write(`samp calibrate: ${m.replace(/^samp: /, '')}\n`) }
      : {};
    const { backend } = await selectBackend(device as (typeof DEVICES)[number], { logger });
    const total = io.stderrIsTty ? await countLines(data, io, samples) : undefined;
    const bar = createProgressBar(io);
    const session = await backend.createSession(model, {
      precision: 'fp32',
      ...(threads === undefined ? {} : { threads }),
    });
    const reading: BatchReading = {
      data,
      io,
      tokenizer,
      config: model.config,
      samples,
      maxLength,
      batchSize,
    };
    let summary: CalibrateSummary;
    try {
      const start = performance.now();
      const result = await calibrate(session, () => readCalibrationBatches(reading), {
        method: method as CalibrationMethod,
        ...(percentile === undefined ? {} : { percentile }),
        ...(alpha === undefined ? {} : { smoothQuantAlpha: alpha }),
        onProgress: (p) =>
          bar.update(p.passes > 1 ? `pass ${p.pass}/${p.passes} (${p.phase})` : 'calibrating', p.rows, total),
      });
      const seconds = (performance.now() - start) / 1000;
      bar.finish();
      await writeQuantProfile(out, result.profile);
      summary = summarize(result.report, {
        profile: out,
        model: model.dir,
        backend: backend.name,
        device: backend.device,
        smoothQuantAlpha: alpha ?? null,
        seconds,
      });
    } finally {
      bar.finish();
      await session.dispose();
    }
    if (io.stderrIsTty) io.stderr.write(`${tensorTable(summary)}\n`);
    io.stdout.write(values.json === true ? `${JSON.stringify(summary)}\n` : summaryText(summary));
    return 0;
  },
};
