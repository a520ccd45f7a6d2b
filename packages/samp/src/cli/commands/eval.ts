import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, type ModelConfig } from '@samp/core';
import type { ClassificationResult } from '@samp/head-classification';
import {
  type EntityLike,
  type EntityScores,
  entityScores,
  type TokenClassificationResult,
} from '@samp/head-token-classification';
import type { Pipeline, PipelineInput } from '../../pipeline';
import type { Command, CommandIo } from '../command';
import { formatTable } from '../format-table';
import { type LineSource, openLines, parseJsonObject, readTextFields } from '../jsonl';
import { parseOptions, requireOption } from '../parse-options';
import { openCliPipeline, PIPELINE_CLI_OPTIONS, PIPELINE_CLI_USAGE } from '../pipeline-options';
import { checkLineForTask, chunkSize, toPipelineInput } from './predict';

const usage = `usage: samp eval --model DIR --data FILE.jsonl [--task auto|classification|token-classification|text-matching]
                 [--device cpu|cuda|auto] [--precision fp32|fp16|int8|fp8] [--profile FILE] [--plan FILE]
                 [--max-length N] [--batch-size B] [--threads N] [--json]

Reads JSON Lines of predict inputs plus the gold answer: {"text": str, "text_pair"?: str, "label": str | int}
(a label name from config.json id2label, or its id) for classification and text matching,
{"text": str, "entities": [{"type": str, "start": int, "end": int}]} for token classification (start/end
in UTF-16 code units of text). Prints the accuracy (or the entity precision, recall and F1, exact
matches as seqeval counts them), the count and the throughput; with a terminal on stderr, a table per
label (or entity type) there too.

  --data FILE         the labelled JSON Lines
${PIPELINE_CLI_USAGE}
  --json              print one JSON object on stdout instead of the text summary`;

/** What `samp eval --json` prints. */
export interface EvalReport {
  readonly task: string;
  readonly model: string;
  readonly backend: string;
  readonly device: string;
  readonly count: number;
  /** Seconds spent in the pipeline (tokenizing, encoding, decoding), model loading excluded. */
  readonly seconds: number;
  /** `count / seconds`. */
  readonly throughput: number;
  /** Classification and text matching. */
  readonly accuracy?: number;
  readonly correct?: number;
  readonly byLabel?: Record<string, { gold: number; predicted: number; correct: number }>;
  /** Token classification (micro average over entity types), with the counts and each type's scores. */
  readonly precision?: number;
  readonly recall?: number;
  readonly f1?: number;
  readonly entities?: { gold: number; predicted: number; correct: number };
  readonly byType?: EntityScores['byType'];
}

/** Reads a gold label: a name from `id2label` or an integer id. */
export function readGoldLabel(o: Record<string, unknown>, where: string, config: ModelConfig): number {
  if (!('label' in o) || o.label === null)
    throw new InvalidArgumentError(where, 'missing field "label" (expected a label name or id)');
  const label = o.label;
  const ids = Object.keys(config.id2label).map(Number);
  if (typeof label === 'number') {
    if (Number.isInteger(label) && config.id2label[label] !== undefined) return label;
    throw new InvalidArgumentError(
      where,
      `field "label": ${label} is not a label id of the model (ids ${Math.min(...ids)}…${Math.max(...ids)})`,
    );
  }
  if (typeof label === 'string') {
    for (const id of ids) if (config.id2label[id] === label) return id;
    const names = ids.map((id) => config.id2label[id]);
    const shown = names.length > 20 ? `${names.slice(0, 20).join(', ')}, …` : names.join(', ');
    throw new InvalidArgumentError(
      where,
      `field "label": unknown label ${JSON.stringify(label)} (labels: ${shown})`,
    );
  }
  throw new InvalidArgumentError(where, 'field "label" must be a label name (string) or id (integer)');
}

/** Reads gold entities: `[{type, start, end}]` with integer UTF-16 offsets within the text. */
export function readGoldEntities(o: Record<string, unknown>, where: string, text: string): EntityLike[] {
  if (!('entities' in o) || o.entities === null)
    throw new InvalidArgumentError(where, 'missing field "entities" (expected [{"type", "start", "end"}])');
  if (!Array.isArray(o.entities)) throw new InvalidArgumentError(where, 'field "entities" must be an array');
  return o.entities.map((e: unknown, i): EntityLike => {
    const field = `field "entities"[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e))
      throw new InvalidArgumentError(where, `${field} must be an object {"type", "start", "end"}`);
    const { type, start, end } = e as Record<string, unknown>;
    if (typeof type !== 'string') throw new InvalidArgumentError(where, `${field}.type must be a string`);
    for (const [name, v] of [
      ['start', start],
      ['end', end],
    ] as const)
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > text.length)
        throw new InvalidArgumentError(
          where,
          `${field}.${name} must be an integer offset into "text" (0…${text.length}), got ${JSON.stringify(v)}`,
        );
    if ((end as number) < (start as number))
      throw new InvalidArgumentError(where, `${field} ends (${end}) before it starts (${start})`);
    return { type, start: start as number, end: end as number };
  });
}

const pct = (x: number) => x.toFixed(4);

function summaryText(r: EvalReport): string {
  const lines: string[] = [
    `model       ${r.model}`,
    `task        ${r.task} (${r.backend} backend, ${r.device})`,
    `count       ${r.count}`,
  ];
  if (r.accuracy !== undefined) lines.push(`accuracy    ${pct(r.accuracy)} (${r.correct}/${r.count})`);
  if (r.f1 !== undefined && r.entities !== undefined) {
    lines.push(
      `precision   ${pct(r.precision ?? 0)} (${r.entities.correct}/${r.entities.predicted} predicted entities)`,
    );
    lines.push(`recall      ${pct(r.recall ?? 0)} (${r.entities.correct}/${r.entities.gold} gold entities)`);
    lines.push(`f1          ${pct(r.f1)}`);
  }
  lines.push(`throughput  ${r.throughput.toFixed(1)} inputs/s (${r.seconds.toFixed(3)} s)`);
  return `${lines.join('\n')}\n`;
}

function detailTable(r: EvalReport): string {
  if (r.byType !== undefined) {
    return formatTable(
      ['type', 'gold', 'predicted', 'correct', 'precision', 'recall', 'f1'],
      Object.entries(r.byType).map(([t, s]) => [
        t,
        String(s.gold),
        String(s.predicted),
        String(s.truePositives),
        pct(s.precision),
        pct(s.recall),
        pct(s.f1),
      ]),
    );
  }
  return formatTable(
    ['label', 'gold', 'predicted', 'correct', 'precision', 'recall'],
    Object.entries(r.byLabel ?? {}).map(([label, s]) => [
      label,
      String(s.gold),
      String(s.predicted),
      String(s.correct),
      s.predicted === 0 ? '-' : pct(s.correct / s.predicted),
      s.gold === 0 ? '-' : pct(s.correct / s.gold),
    ]),
  );
}

/** Runs the pipeline over the data file and scores it. */
async function evaluate(p: Pipeline, source: LineSource): Promise<EvalReport> {
  const config = p.model.config;
  const token = p.task === 'token-classification';
  if (p.task === 'text-matching' && headless(config))
    throw new InvalidArgumentError(
      '--task',
      `${p.model.dir} is a bare encoder: text matching gives similarity scores, not labels, so there is no accuracy to compute`,
    );
  let seconds = 0;
  let count = 0;
  let correct = 0;
  const byLabel = new Map<number, { gold: number; predicted: number; correct: number }>();
  for (const id of Object.keys(config.id2label).map(Number))
    byLabel.set(id, { gold: 0, predicted: 0, correct: 0 });
  const goldEntities: EntityLike[][] = [];
  const predictedEntities: EntityLike[][] = [];
  let inputs: PipelineInput[] = [];
  let gold: number[] = [];
  const limit = chunkSize(p.batchSize);
  const flush = async () => {
    if (inputs.length === 0) return;
    const start = performance.now();
    const results = await p(inputs);
    seconds += (performance.now() - start) / 1000;
    results.forEach((r, i) => {
      if (token) {
        predictedEntities.push((r as TokenClassificationResult).entities);
        return;
      }
      const predicted = (r as ClassificationResult).labelId;
      const g = gold[i] as number;
      const gs = byLabel.get(g);
      const ps = byLabel.get(predicted);
      if (gs !== undefined) gs.gold++;
      if (ps !== undefined) ps.predicted++;
      if (predicted === g) {
        correct++;
        if (gs !== undefined) gs.correct++;
      }
    });
    inputs = [];
    gold = [];
  };
  try {
    for await (const text of source.lines) {
      count++;
      const where = `${source.name} line ${count}`;
      const o = parseJsonObject(
        text,
        where,
        token
          ? '{"text": string, "entities": [{"type", "start", "end"}]}'
          : '{"text": string, "text_pair"?: string, "label": string | int}',
      );
      const line = readTextFields(o, where);
      checkLineForTask(line, p.task, where);
      if (token) goldEntities.push(readGoldEntities(o, where, line.text));
      else gold.push(readGoldLabel(o, where, config));
      inputs.push(toPipelineInput(line));
      if (inputs.length >= limit) await flush();
    }
    await flush();
  } finally {
    source.close();
  }
  if (count === 0) throw new InvalidArgumentError('--data', `${source.name} has no lines to evaluate`);
  const base = {
    task: p.task,
    model: p.model.dir,
    backend: p.backend.name,
    device: p.backend.device,
    count,
    seconds,
    throughput: seconds > 0 ? count / seconds : 0,
  };
  if (token) {
    const s = entityScores(goldEntities, predictedEntities);
    return {
      ...base,
      precision: s.precision,
      recall: s.recall,
      f1: s.f1,
      entities: { gold: s.gold, predicted: s.predicted, correct: s.truePositives },
      byType: s.byType,
    };
  }
  return {
    ...base,
    accuracy: correct / count,
    correct,
    byLabel: Object.fromEntries([...byLabel].map(([id, s]) => [config.id2label[id] ?? `LABEL_${id}`, s])),
  };
}

const headless = (config: ModelConfig) =>
  !config.architectures.some((a) => a.endsWith('ForSequenceClassification'));

/** `samp eval`: accuracy or entity P/R/F1 of a model on labelled JSON Lines, with its throughput. */
export const evalCommand: Command = {
  name: 'eval',
  summary: 'score a model on labelled JSON Lines: accuracy or entity precision/recall/F1, and throughput',
  usage,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const values = parseOptions(argv, {
      ...PIPELINE_CLI_OPTIONS,
      data: { type: 'string' },
      json: { type: 'boolean' },
    });
    const data = requireOption(values.data, 'data');
    // Open the data first: a missing file is reported before the model loads.
    const source = await openLines(data, io, '--data');
    let report: EvalReport;
    try {
      const p = await openCliPipeline(values, io, 'eval');
      try {
        report = await evaluate(p, source);
      } finally {
        await p.dispose();
      }
    } finally {
      source.close();
    }
    if (io.stderrIsTty) io.stderr.write(`${detailTable(report)}\n`);
    io.stdout.write(values.json === true ? `${JSON.stringify(report)}\n` : summaryText(report));
    return 0;
  },
};
