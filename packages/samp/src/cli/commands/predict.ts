import { InvalidArgumentError } from '@samp/core';
import type { Pipeline, PipelineInput } from '../../pipeline';
import { resultJson } from '../../serve/result-json';
import type { Command, CommandIo } from '../command';
import { type LineSource, openLines, openSink, readTextLine, type TextLine } from '../jsonl';
import { parseOptions } from '../parse-options';
import { openCliPipeline, PIPELINE_CLI_OPTIONS, PIPELINE_CLI_USAGE } from '../pipeline-options';

const usage = `usage: samp predict --model DIR [--task auto|classification|token-classification|text-matching]
                    [--device cpu|cuda|auto] [--precision fp32|fp16|int8|fp8] [--profile FILE] [--plan FILE]
                    [--max-length N] [--batch-size B] [--threads N] [--input FILE] [--output FILE]

Reads JSON Lines {"text": str, "text_pair"?: str} and writes, one line per input line, in input order:
  classification, text matching  {"label": str, "label_id": int, "score": number, "logits": number[]}
  token classification           {"entities": [{"type": str, "start": int, "end": int, "text": str,
                                   "score": number}]}  (start/end in UTF-16 code units of text)
A text matching model without a classifier (a bare encoder) writes {"score": number}, the cosine
similarity of the two texts.

${PIPELINE_CLI_USAGE}
  --input FILE        read from FILE instead of stdin
  --output FILE       write to FILE (atomically: nothing is left behind on failure) instead of stdout`;

/**
 * Checks that a line's shape fits the task before anything runs, so the error names the line: token
 * classification takes single texts, text matching takes pairs.
 */
export function checkLineForTask(line: TextLine, task: Pipeline['task'], where: string): void {
  if (task === 'token-classification' && line.pair !== undefined)
    throw new InvalidArgumentError(
      where,
      'field "text_pair" is not allowed: token classification places entities in one text',
    );
  if (task === 'text-matching' && line.pair === undefined)
    throw new InvalidArgumentError(where, 'missing field "text_pair" (text matching compares two texts)');
}

/** The pipeline input of a line. */
export const toPipelineInput = (line: TextLine): PipelineInput =>
  line.pair === undefined ? line.text : { text: line.text, text_pair: line.pair };

/** Lines per pipeline call: enough for the length sorting to pay off, few enough to stream. */
export function chunkSize(batchSize: number): number {
  return Math.max(1024, 16 * batchSize);
}

/** `samp predict`: texts in, labels or entities out, one line per input line, in order (docs/cli.md). */
export const predictCommand: Command = {
  name: 'predict',
  summary: 'classify texts or pairs, or find entities, from JSON Lines (labels, scores, logits / entities)',
  usage,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const values = parseOptions(argv, {
      ...PIPELINE_CLI_OPTIONS,
      input: { type: 'string' },
      output: { type: 'string' },
    });
    // Open the input first: a missing file is reported before the model loads.
    const source = await openLines(values.input, io);
    let p: Pipeline;
    try {
      p = await openCliPipeline(values, io, 'predict');
    } catch (e) {
      source.close();
      throw e;
    }
    try {
      await predictAll(p, source, values.output, io);
    } finally {
      await p.dispose();
    }
    return 0;
  },
};

async function predictAll(
  p: Pipeline,
  source: LineSource,
  output: string | undefined,
  io: CommandIo,
): Promise<void> {
  let sink: Awaited<ReturnType<typeof openSink>>;
  try {
    sink = await openSink(output, io);
  } catch (e) {
    source.close();
    throw e;
  }
  const limit = chunkSize(p.batchSize);
  let pending: PipelineInput[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const results = await p(pending);
    pending = [];
    for (const r of results) await sink.write(`${JSON.stringify(resultJson(r))}\n`);
  };
  let n = 0;
  try {
    for await (const text of source.lines) {
      n++;
      const where = `${source.name} line ${n}`;
      const line = readTextLine(text, where);
      checkLineForTask(line, p.task, where);
      pending.push(toPipelineInput(line));
      if (pending.length >= limit) await flush();
    }
    await flush();
    await sink.commit();
  } catch (e) {
    source.close();
    await sink.abort();
    throw e;
  }
}
