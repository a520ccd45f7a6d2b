import { resolve } from 'node:path';
import { checkProfileMatches, InvalidArgumentError, readQuantProfile, writePrecisionPlan } from '@samp/core';
import {
  ConstraintUnmetError,
  type EvaluationSplit,
  frontierRows,
  isBasePrecision,
  type Recommendation,
  type RecommendProgress,
  summarizePlan,
  toPrecisionPlan,
  writeMeasurementTables,
  writeReport,
} from '@samp/recommender';
import type { PipelineInput } from '../../pipeline';
import { recommendOnBackend } from '../../precision/recommend-on-backend';
import type { Command, CommandIo } from '../command';
import { formatTable } from '../format-table';
import { openLines, parseJsonObject, readTextFields, type TextLine } from '../jsonl';
import { integerOption, parseOptions, requireOption } from '../parse-options';
import { openCliPipeline } from '../pipeline-options';
import { UsageError } from '../usage-error';
import { readGoldLabel } from './eval';

const usage = `usage: samp recommend --model DIR --eval FILE.jsonl [--held-out FILE.jsonl] [--profile PROFILE.json]
                      [--device cpu|cuda|auto] [--base-precision auto|fp32|fp16]
                      [--max-accuracy-drop D | --max-latency-ms T]
                      [--batch-size B] [--seq-len S] [--threads N] [--per-gemm] [--no-greedy] [--label-free]
                      [--latency-runs N] [--latency-cache FILE] [--tables-out FILE]
                      --out PLAN.json [--report REPORT.html] [--json]

Chooses a precision per layer (or per GEMM) for a classification or text-matching model. It measures each
layer's sensitivity (that layer alone in each INT8 mode), scores SAMP's plans (the k least sensitive layers
quantized, k = 0…L, per mode) and those of a greedy search on the choose split, times plans on the device at
the batch shape to fit a latency model, and chooses. Layers left unquantized run at the base precision (fp32
on the CPU; fp16 on CUDA, where int8-full, int8-ffn and fp8 are the modes), and every drop is relative to the
all-base plan. The chosen plan, the base plan and the frontier are then scored on the held-out split, which
the choice never saw.

  --eval FILE         JSON Lines {"text", "text_pair"?, "label"?}; without --held-out, even lines (1st, 3rd,
                      …) are the choose split and odd lines the held-out split. Without labels (or with
                      --label-free) the score is agreement with the base plan's predictions
  --held-out FILE     a separate held-out split (then all of --eval is the choose split)
  --task T            auto (default: from config.json), classification or text-matching
  --profile FILE      a QuantProfile (samp calibrate) for static INT8 scales; without one INT8 layers quantize
                      activations dynamically (per row)
  --base-precision P  auto (default: fp16 on a CUDA device that runs it, else fp32), fp32 or fp16: the
                      precision of unquantized layers and of the baseline drops are measured from
  --max-accuracy-drop D  the fastest plan within D points of the base's accuracy (1 = one percentage point)
  --max-latency-ms T  the most accurate plan predicted within T ms per batch
                      (neither: the knee of the accuracy-latency frontier within a 1-point drop)
  --batch-size B      the batch shape plans are timed and predicted at, and the evaluation batch (default 32)
  --seq-len S         tokens per input at that shape; longer inputs are truncated (default 128)
  --threads N         CPU threads (default: the backend's choice)
  --per-gemm          also search precisions GEMM by GEMM, not only per layer
  --no-greedy         SAMP's prefix plans only (no greedy search over the whole plan space)
  --label-free        ignore labels: score by agreement with the base (and order layers by output drift)
  --latency-runs N    timed runs per plan, after one warm-up; the median counts (default 10)
  --latency-cache FILE  reuse and update measured latencies per device, model and shape (JSON)
  --tables-out FILE   also write the measurement tables (for recommendFromTables without a backend)
  --out FILE          the PrecisionPlan to write
  --report FILE       a self-contained HTML page with the accuracy-latency chart
  --json              print one JSON object on stdout instead of the text summary`;

const OPTIONS = {
  model: { type: 'string' },
  eval: { type: 'string' },
  'held-out': { type: 'string' },
  profile: { type: 'string' },
  device: { type: 'string' },
  'base-precision': { type: 'string' },
  task: { type: 'string' },
  'max-accuracy-drop': { type: 'string' },
  'max-latency-ms': { type: 'string' },
  'batch-size': { type: 'string' },
  'seq-len': { type: 'string' },
  threads: { type: 'string' },
  'per-gemm': { type: 'boolean' },
  'no-greedy': { type: 'boolean' },
  'label-free': { type: 'boolean' },
  'latency-runs': { type: 'string' },
  'latency-cache': { type: 'string' },
  'tables-out': { type: 'string' },
  out: { type: 'string' },
  report: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** A positive decimal option (undefined when absent). */
function numberOption(
  value: string | undefined,
  name: string,
  max: number,
  allowZero: boolean,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0) || n > max) {
    throw new UsageError(
      `--${name} expects a number ${allowZero ? '≥ 0' : '> 0'}${Number.isFinite(max) ? ` and ≤ ${max}` : ''}, got "${value}"`,
    );
  }
  return n;
}

/** A data line: its texts and its raw object (labels are read once the model's label names are known). */
interface DataLine {
  readonly line: TextLine;
  readonly object: Record<string, unknown>;
  readonly where: string;
}

async function readData(path: string, io: CommandIo, option: string): Promise<DataLine[]> {
  const source = await openLines(path, io, option);
  const out: DataLine[] = [];
  try {
    let n = 0;
    for await (const text of source.lines) {
      n++;
      const where = `${source.name} line ${n}`;
      const object = parseJsonObject(
        text,
        where,
        '{"text": string, "text_pair"?: string, "label"?: string | int}',
      );
      out.push({ line: readTextFields(object, where), object, where });
    }
  } finally {
    source.close();
  }
  if (out.length === 0) throw new InvalidArgumentError(option, `${path} has no lines`);
  return out;
}

const hasLabel = (d: DataLine) => 'label' in d.object && d.object.label !== null;

const toInput = (l: TextLine): PipelineInput =>
  l.pair === undefined ? l.text : { text: l.text, text_pair: l.pair };

/** Renders progress on one stderr line (a terminal only). */
function progressRenderer(io: CommandIo): ((p: RecommendProgress) => void) | undefined {
  if (!io.stderrIsTty) return undefined;
  const width = 24;
  return (p) => {
    const filled = Math.round((p.done / Math.max(1, p.total)) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    io.stderr.write(`\r\x1b[2K${p.phase.padEnd(11)} ${bar} ${p.done}/${p.total} ${p.label ?? ''}`);
    if (p.done === p.total) io.stderr.write('\n');
  };
}

function summaryText(r: Recommendation, files: { out?: string; report?: string; tables?: string }): string {
  const c = r.choice;
  const pts = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)} points`);
  const lines = [
    `plan        ${c.label}  (${c.plan.map((l) => l.precision).join(', ')})`,
    `rule        ${r.rule.kind}: ${r.explanation}`,
    `${r.metric.padEnd(12)}${(c.score * 100).toFixed(2)}% on the choose split (${r.basePrecision} ${(r.baseline.score * 100).toFixed(2)}%, drop ${pts(c.drop)})`,
  ];
  if (c.heldOutScore !== undefined) {
    lines.push(
      `held-out    ${(c.heldOutScore * 100).toFixed(2)}% (${r.basePrecision} ${((r.baseline.heldOutScore ?? 0) * 100).toFixed(2)}%, drop ${pts(c.heldOutDrop)})`,
    );
  }
  lines.push(
    `latency     ${c.latencyMs.toFixed(2)} ms predicted${c.measuredLatencyMs === undefined ? '' : `, ${c.measuredLatencyMs.toFixed(2)} ms measured`} (batch ${r.batchSize} × ${r.sequenceLength})`,
  );
  lines.push(`evaluated   ${r.plans.length} plans (${r.evaluations} evaluations)`);
  for (const e of r.excluded) lines.push(`excluded    ${e.precision}: ${e.reason}`);
  if (files.out !== undefined) lines.push(`plan file   ${files.out}`);
  if (files.report !== undefined) lines.push(`report      ${files.report}`);
  if (files.tables !== undefined) lines.push(`tables      ${files.tables}`);
  return `${lines.join('\n')}\n`;
}

/** `samp recommend`: sensitivity, search, latency model and choice of a mixed-precision plan. */
export const recommendCommand: Command = {
  name: 'recommend',
  summary: 'choose a per-layer (or per-GEMM) precision plan under an accuracy or latency constraint',
  usage,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const v = parseOptions(argv, OPTIONS);
    requireOption(v.model, 'model');
    const evalPath = requireOption(v.eval, 'eval');
    const out = requireOption(v.out, 'out');
    const dropPoints = numberOption(v['max-accuracy-drop'], 'max-accuracy-drop', 100, true);
    const maxLatencyMs = numberOption(v['max-latency-ms'], 'max-latency-ms', Number.POSITIVE_INFINITY, false);
    if (dropPoints !== undefined && maxLatencyMs !== undefined) {
      throw new UsageError('give --max-accuracy-drop or --max-latency-ms, not both');
    }
    const batchSize = integerOption(v['batch-size'], 'batch-size', 1) ?? 32;
    const sequenceLength = integerOption(v['seq-len'], 'seq-len', 3) ?? 128;
    const threads = integerOption(v.threads, 'threads', 0);
    const latencyRuns = integerOption(v['latency-runs'], 'latency-runs', 1) ?? 10;
    const basePrecision = v['base-precision'] ?? 'auto';
    if (basePrecision !== 'auto' && !isBasePrecision(basePrecision)) {
      throw new UsageError(`--base-precision expects auto, fp32 or fp16, got "${basePrecision}"`);
    }

    // Data and profile first: a bad file is reported before the model loads.
    const chooseData = await readData(evalPath, io, '--eval');
    const heldOutData =
      v['held-out'] === undefined ? undefined : await readData(v['held-out'], io, '--held-out');
    const all = heldOutData === undefined ? chooseData : [...chooseData, ...heldOutData];
    const labelled = all.filter(hasLabel).length;
    const labelFree = v['label-free'] === true || labelled === 0;
    if (!labelFree && labelled < all.length) {
      const first = all.find((d) => !hasLabel(d)) as DataLine;
      throw new InvalidArgumentError(
        first.where,
        'missing field "label": label every line, or none (label-free: agreement with fp32), or pass --label-free',
      );
    }
    const profileFile = v.profile === undefined ? undefined : resolve(io.cwd, v.profile);
    const profile = profileFile === undefined ? undefined : await readQuantProfile(profileFile);

    const base = await openCliPipeline(
      {
        model: v.model,
        task: v.task,
        device: v.device,
        'max-length': String(sequenceLength),
        'batch-size': String(batchSize),
        threads: v.threads,
      },
      io,
      'recommend',
    );
    const disposers: (() => Promise<void>)[] = [];
    try {
      const model = base.model;
      if (base.task === 'token-classification') {
        throw new InvalidArgumentError(
          '--model',
          `${model.dir} is a token-classification model; samp recommend scores classification and text matching`,
        );
      }
      if (profile !== undefined) checkProfileMatches(profile, model, v.profile);
      const splits: Record<EvaluationSplit, DataLine[]> =
        heldOutData === undefined
          ? {
              choose: chooseData.filter((_, i) => i % 2 === 0),
              'held-out': chooseData.filter((_, i) => i % 2 === 1),
            }
          : { choose: chooseData, 'held-out': heldOutData };
      if (splits['held-out'].length === 0) {
        throw new InvalidArgumentError(
          '--eval',
          `${evalPath} has one line: two are needed (a choose and a held-out split)`,
        );
      }
      const labels = labelFree
        ? undefined
        : {
            choose: splits.choose.map((d) => readGoldLabel(d.object, d.where, model.config)),
            'held-out': splits['held-out'].map((d) => readGoldLabel(d.object, d.where, model.config)),
          };

      const backend = base.backend;
      const probe = await backend.probe();
      const brand = typeof probe.details.brand === 'string' ? probe.details.brand : backend.name;
      const isa = typeof probe.details.bestIsa === 'string' ? `, ${probe.details.bestIsa}` : '';
      const deviceName = `${backend.device}:${brand.trim()}${isa}${threads === undefined ? '' : `, ${threads} threads`}`;
      const onProgress = progressRenderer(io);
      const recommendation = await recommendOnBackend({
        task: base.task,
        model,
        backend,
        ...(profile === undefined ? {} : { profile }),
        ...(threads === undefined ? {} : { threads }),
        inputs: {
          choose: splits.choose.map((d) => toInput(d.line)),
          'held-out': splits['held-out'].map((d) => toInput(d.line)),
        },
        ...(labels === undefined ? {} : { labels }),
        batchSize,
        sequenceLength,
        basePrecision,
        perGemm: v['per-gemm'] === true,
        greedy: v['no-greedy'] !== true,
        latencyRuns,
        ...(dropPoints === undefined ? {} : { maxAccuracyDrop: dropPoints / 100 }),
        ...(maxLatencyMs === undefined ? {} : { maxLatencyMs }),
        ...(v['latency-cache'] === undefined
          ? {}
          : { latencyCache: { file: resolve(io.cwd, v['latency-cache']), deviceName } }),
        ...(onProgress === undefined ? {} : { onProgress }),
      });

      const files: { out?: string; report?: string; tables?: string } = {};
      if (v.report !== undefined) {
        await writeReport(resolve(io.cwd, v.report), recommendation, {
          // The folder as the user named it: reports get shared, absolute paths say little elsewhere.
          title: `samp recommend: ${v.model}`,
          model: v.model as string,
        });
        files.report = v.report;
      }
      if (v['tables-out'] !== undefined) {
        await writeMeasurementTables(resolve(io.cwd, v['tables-out']), recommendation.tables);
        files.tables = v['tables-out'];
      }
      if (!recommendation.constraintMet) {
        const constraint =
          maxLatencyMs !== undefined
            ? `--max-latency-ms ${maxLatencyMs}`
            : `--max-accuracy-drop ${dropPoints}`;
        throw new ConstraintUnmetError(
          constraint,
          recommendation.explanation,
          summarizePlan(recommendation.choice, recommendation.metric),
        );
      }
      await writePrecisionPlan(
        resolve(io.cwd, out),
        toPrecisionPlan(recommendation, { device: backend.device }),
      );
      files.out = out;

      if (io.stderrIsTty) {
        const { header, rows } = frontierRows(recommendation);
        io.stderr.write(`${formatTable(header, rows)}\n`);
      }
      if (v.json === true) {
        const c = recommendation.choice;
        io.stdout.write(
          `${JSON.stringify({
            model: model.dir,
            backend: backend.name,
            device: deviceName,
            batchSize,
            sequenceLength,
            metric: recommendation.metric,
            basePrecision: recommendation.basePrecision,
            rule: recommendation.rule,
            explanation: recommendation.explanation,
            baseline: recommendation.baseline,
            choice: {
              label: c.label,
              layers: c.plan,
              score: c.score,
              drop: c.drop,
              heldOutScore: c.heldOutScore,
              heldOutDrop: c.heldOutDrop,
              latencyMs: c.latencyMs,
              measuredLatencyMs: c.measuredLatencyMs,
            },
            frontier: recommendation.frontier.map((p) => ({
              label: p.label,
              score: p.score,
              drop: p.drop,
              latencyMs: p.latencyMs,
              measuredLatencyMs: p.measuredLatencyMs,
              heldOutScore: p.heldOutScore,
            })),
            plans: recommendation.plans.length,
            evaluations: recommendation.evaluations,
            orders: recommendation.orders,
            latencyChecks: recommendation.latencyChecks,
            excluded: recommendation.excluded,
            files,
          })}\n`,
        );
      } else io.stdout.write(summaryText(recommendation, files));
      return 0;
    } finally {
      for (const dispose of disposers) await dispose();
      await base.dispose();
    }
  },
};
