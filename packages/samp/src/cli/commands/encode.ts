import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  type EncoderBackendV1,
  type EncoderInput,
  type EncoderOutput,
  type EncoderSession,
  type EncoderSessionOptions,
  headKindOf,
  InvalidArgumentError,
  isSessionPrecision,
  loadModel,
  MAX_TOKENS_PER_RUN,
  type ModelArtifacts,
  readPrecisionPlan,
  readQuantProfile,
  SampError,
  validateEncoderInput,
} from '@samp/core';
import {
  classifierLogits,
  type DenseLayer,
  dense,
  readDenseLayer,
  readSequenceClassifier,
  type SequenceClassifier,
} from '@samp/head-classification';
import { selectBackend } from '../../pipeline/select-backend';
import type { Command, CommandIo } from '../command';
import { parseOptions, requireOption } from '../parse-options';
import { UsageError } from '../usage-error';

const usage = `usage: samp encode --model DIR [--device cpu|cuda|auto] [--precision fp32] [--profile FILE] [--plan FILE]
                   [--batch-size B] [--threads N] [--input FILE] [--output FILE]

Reads JSON Lines {"input_ids": int[], "attention_mask"?: int[], "token_type_ids"?: int[]} and writes, one
line per input line, in order, {"last_hidden_state": number[][]} (tokens × hidden) and, when the
checkpoint has a sequence- or token-classification head, "logits" (number[] or number[][]).

  --model DIR         a Hugging Face model folder
  --device D          cpu, cuda or auto (default auto: the best available backend)
  --precision P       fp32 (default); fp16, int8 and fp8 where the backend supports them
  --profile FILE      a QuantProfile (from samp calibrate), for INT8 and FP8
  --plan FILE         a PrecisionPlan (from samp recommend); wins over --precision
  --batch-size B      lines encoded together (default 32)
  --threads N         CPU threads (default: all cores)
  --input FILE        read from FILE instead of stdin
  --output FILE       write to FILE (atomically) instead of stdout`;

const DEVICES = ['cpu', 'cuda', 'auto'] as const;
type Device = (typeof DEVICES)[number];

function positiveInt(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`--${option} expects a positive integer, got "${value}"`);
  }
  return Number(value);
}

/** The backend for `--device`, as pipeline() chooses it; `auto`'s skip reasons go to a terminal's stderr. */
async function chooseBackend(device: Device, io: CommandIo): Promise<EncoderBackendV1> {
  const logger = io.stderrIsTty ? { info: (message: string) => io.stderr.write(`${message}\n`) } : {};
  return (await selectBackend(device, { logger })).backend;
}

/** One input line, checked: a single-row EncoderInput of the line's own tokens. */
interface EncodeLine {
  readonly ids: Int32Array;
  readonly mask: Int32Array;
  readonly types: Int32Array | undefined;
}

function intArray(o: Record<string, unknown>, field: string, where: string, length?: number): Int32Array {
  const v = o[field];
  if (!Array.isArray(v))
    throw new InvalidArgumentError(where, `field "${field}" must be an array of integers`);
  if (length !== undefined && v.length !== length) {
    throw new InvalidArgumentError(
      where,
      `field "${field}" has ${v.length} elements, "input_ids" has ${length}`,
    );
  }
  const out = new Int32Array(v.length);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || Math.abs(x) > 2 ** 31 - 1) {
      throw new InvalidArgumentError(
        where,
        `field "${field}"[${i}] must be an integer, got ${JSON.stringify(x)}`,
      );
    }
    out[i] = x;
  });
  return out;
}

function readLine(line: string, where: string, model: ModelArtifacts): EncodeLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new InvalidArgumentError(where, `malformed JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new InvalidArgumentError(
      where,
      'expected a JSON object {"input_ids": int[], "attention_mask"?: int[], "token_type_ids"?: int[]}',
    );
  }
  const o = v as Record<string, unknown>;
  if (!('input_ids' in o))
    throw new InvalidArgumentError(where, 'missing field "input_ids" (expected int[])');
  const ids = intArray(o, 'input_ids', where);
  if (ids.length === 0) throw new InvalidArgumentError(where, 'field "input_ids" is empty');
  const mask =
    o.attention_mask === undefined || o.attention_mask === null
      ? new Int32Array(ids.length).fill(1)
      : intArray(o, 'attention_mask', where, ids.length);
  const types =
    o.token_type_ids === undefined || o.token_type_ids === null
      ? undefined
      : intArray(o, 'token_type_ids', where, ids.length);
  const row: EncoderInput = {
    inputIds: ids,
    attentionMask: mask,
    ...(types === undefined ? {} : { tokenTypeIds: types }),
    batchSize: 1,
    sequenceLength: ids.length,
  };
  try {
    validateEncoderInput(row, model.config);
  } catch (error) {
    if (SampError.isInstance(error)) {
      // Name the line; the message still names the element (inputIds[3], …).
      throw new InvalidArgumentError(where, error.message, { cause: error });
    }
    throw error;
  }
  return { ids, mask, types };
}

/** Pads lines into one batch (padding id, mask 0, type 0 after each line's tokens). */
function toBatch(lines: readonly EncodeLine[], padTokenId: number): EncoderInput {
  const seq = Math.max(...lines.map((l) => l.ids.length));
  const n = lines.length * seq;
  const input: EncoderInput = {
    inputIds: new Int32Array(n).fill(padTokenId),
    attentionMask: new Int32Array(n),
    batchSize: lines.length,
    sequenceLength: seq,
  };
  const withTypes = lines.some((l) => l.types !== undefined);
  if (withTypes) input.tokenTypeIds = new Int32Array(n);
  lines.forEach((l, row) => {
    input.inputIds.set(l.ids, row * seq);
    input.attentionMask.set(l.mask, row * seq);
    if (l.types !== undefined) input.tokenTypeIds?.set(l.types, row * seq);
  });
  return input;
}

// --- classification heads: Hugging Face's head math, from @samp/head-classification ---------------------

/** A checkpoint's task head: sequence classification reads the first token, token classification every one. */
type TaskHead =
  | { readonly kind: 'sequence'; readonly classifier: SequenceClassifier }
  | { readonly kind: 'token'; readonly layer: DenseLayer };

/** The checkpoint's sequence- or token-classification head, or undefined for a base model. */
async function loadTaskHead(model: ModelArtifacts): Promise<TaskHead | undefined> {
  const kind = headKindOf(model.config);
  if (kind === 'token-classification') {
    const { numLabels, hiddenSize } = model.config;
    return { kind: 'token', layer: await readDenseLayer(model, 'classifier', numLabels, hiddenSize) };
  }
  if (kind !== 'sequence-classification') return undefined;
  return { kind: 'sequence', classifier: await readSequenceClassifier(model) };
}

// --- output -----------------------------------------------------------------------------------------

/** A line sink: stdout, or a temp file renamed into place on success. */
interface Sink {
  write(s: string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

function stdoutSink(io: CommandIo): Sink {
  return {
    write: (s) =>
      new Promise<void>((res, rej) => {
        if (io.stdout.write(s)) res();
        else {
          io.stdout.once('drain', res);
          io.stdout.once('error', rej);
        }
      }),
    commit: async () => {},
    abort: async () => {},
  };
}

async function fileSink(path: string): Promise<Sink> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  const fh = await open(tmp, 'w').catch((e: Error) => {
    throw new InvalidArgumentError('--output', `cannot write ${path}: ${e.message}`);
  });
  return {
    write: async (s) => {
      await fh.write(s);
    },
    commit: async () => {
      await fh.close();
      await rename(tmp, path);
    },
    abort: async () => {
      await fh.close().catch(() => {});
      await rm(tmp, { force: true });
    },
  };
}

function outputLine(out: EncoderOutput, row: number, tokens: number, head: TaskHead | undefined): string {
  const { sequenceLength: seq, hiddenSize: h, lastHiddenState } = out;
  const states: Float32Array[] = [];
  for (let t = 0; t < tokens; t++) {
    const at = (row * seq + t) * h;
    states.push(lastHiddenState.subarray(at, at + h));
  }
  const record: Record<string, unknown> = { last_hidden_state: states.map((s) => Array.from(s)) };
  if (head?.kind === 'sequence')
    record.logits = Array.from(classifierLogits(head.classifier, states[0] as Float32Array, 0));
  else if (head?.kind === 'token') record.logits = states.map((s) => Array.from(dense(head.layer, s)));
  return `${JSON.stringify(record)}\n`;
}

async function openInput(values: { input?: string | undefined }, io: CommandIo): Promise<Readable> {
  if (values.input === undefined) return io.stdin;
  const path = resolve(io.cwd, values.input);
  const input = createReadStream(path, { encoding: 'utf8' });
  await new Promise<void>((res, rej) => {
    input.once('open', () => res());
    input.once('error', (e) => rej(new InvalidArgumentError('--input', `cannot read ${path}: ${e.message}`)));
  });
  return input;
}

async function sessionOptions(
  values: { precision?: string | undefined; profile?: string | undefined; plan?: string | undefined },
  threads: number | undefined,
  cwd: string,
): Promise<EncoderSessionOptions> {
  const precision = values.precision ?? 'fp32';
  if (!isSessionPrecision(precision)) {
    throw new UsageError(`--precision expects fp32, fp16, int8 or fp8, got "${precision}"`);
  }
  const options: EncoderSessionOptions = { precision };
  if (threads !== undefined) options.threads = threads;
  if (values.profile !== undefined) options.profile = await readQuantProfile(resolve(cwd, values.profile));
  if (values.plan !== undefined) options.plan = await readPrecisionPlan(resolve(cwd, values.plan));
  return options;
}

/** `samp encode`: token ids in, hidden states (and the checkpoint head's logits) out (docs/cli.md). */
export const encodeCommand: Command = {
  name: 'encode',
  summary: 'encode JSON Lines of token ids: last hidden states, and logits when the model has a head',
  usage,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const values = parseOptions(argv, {
      model: { type: 'string' },
      device: { type: 'string' },
      precision: { type: 'string' },
      profile: { type: 'string' },
      plan: { type: 'string' },
      'batch-size': { type: 'string' },
      threads: { type: 'string' },
      input: { type: 'string' },
      output: { type: 'string' },
    });
    const modelDir = resolve(io.cwd, requireOption(values.model, 'model'));
    const device = (values.device ?? 'auto') as Device;
    if (!DEVICES.includes(device))
      throw new UsageError(`--device expects cpu, cuda or auto, got "${values.device}"`);
    const batchSize = positiveInt(values['batch-size'], 'batch-size', 32);
    const threads = values.threads === undefined ? undefined : positiveInt(values.threads, 'threads', 0);
    const options = await sessionOptions(values, threads, io.cwd);

    const model = await loadModel(modelDir, { tokenizer: false });
    const head = await loadTaskHead(model);
    const backend = await chooseBackend(device, io);
    const session: EncoderSession = await backend.createSession(model, options);
    const inputName = values.input ?? '<stdin>';
    let sink: Sink | undefined;
    let lines: ReturnType<typeof createInterface> | undefined;
    try {
      const input = await openInput(values, io);
      sink = values.output === undefined ? stdoutSink(io) : await fileSink(resolve(io.cwd, values.output));
      lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      const out = sink;
      let pending: EncodeLine[] = [];
      const flush = async (): Promise<void> => {
        if (pending.length === 0) return;
        const batch = pending;
        pending = [];
        const result = await session.run(toBatch(batch, model.config.padTokenId));
        let chunk = '';
        batch.forEach((l, row) => {
          chunk += outputLine(result, row, l.ids.length, head);
        });
        await out.write(chunk);
      };
      let n = 0;
      for await (const line of lines) {
        n++;
        const next = readLine(line, `${inputName} line ${n}`, model);
        // A padded run holds rows × longest row tokens: flush before the line would pass the limit.
        const longest = Math.max(next.ids.length, ...pending.map((l) => l.ids.length));
        if ((pending.length + 1) * longest > MAX_TOKENS_PER_RUN) await flush();
        pending.push(next);
        if (pending.length >= batchSize) await flush();
      }
      await flush();
      await out.commit();
    } catch (error) {
      lines?.close();
      await sink?.abort();
      throw error;
    } finally {
      await session.dispose();
    }
    return 0;
  },
};
