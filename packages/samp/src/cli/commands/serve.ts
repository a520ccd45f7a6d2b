import { basename, resolve } from 'node:path';
import { isSessionPrecision } from '@samp/core';
import type { PipelineOptions } from '../../pipeline';
import { SERVE_DEFAULTS, type ServedModelSpec, type ServeOptions, startServer } from '../../serve';
import type { Command, CommandIo } from '../command';
import { integerOption, parseOptions } from '../parse-options';
import { UsageError } from '../usage-error';

const usage = `usage: samp serve --model [NAME=]DIR [--model NAME=DIR ...] [--host H] [--port P]
                  [--task T] [--device cpu|cuda|auto] [--precision fp32|fp16|int8|fp8] [--profile FILE] [--plan FILE]
                  [--max-length N] [--threads N] [--workers N] [--pad-positions skip|compute]
                  [--max-batch-size B] [--run-size N] [--batch-window-ms MS]
                  [--max-queue N] [--timeout-ms MS] [--max-body-bytes N] [--max-text-length N] [--max-inputs N]

An HTTP inference server with dynamic batching (docs/serving.md): POST /v1/predict
{"model"?: NAME, "inputs": {"text", "text_pair"?} | [...]}, GET /v1/models, /healthz, /readyz, /metrics,
/openapi.json. Prints "listening on URL" on stdout; SIGTERM or SIGINT stops accepting, finishes the
requests in flight and exits 0.

  --model [NAME=]DIR    a model folder to serve, under NAME (default: the folder's name); repeat for several
  --host H              the address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
  --port P              the port (default 8080; 0 picks a free one)
  --task T              auto (default: from config.json architectures), classification,
                        token-classification, text-matching or feature-extraction (every model)
  --device D            cpu, cuda or auto (default auto: CUDA, else the CPU); a named device never falls back
  --precision P         fp32 (default), fp16, int8 or fp8, where the backend supports it
  --profile FILE        a QuantProfile (from samp calibrate), for INT8 and FP8
  --plan FILE           a PrecisionPlan (from samp recommend); wins over --precision
  --max-length N        tokens per input; longer inputs are truncated (default: the tokenizer's)
  --threads N           CPU threads per worker (default: the cores divided among the workers)
  --workers N           backend sessions per model behind its one queue (default 1)
  --pad-positions P     skip (default): CPU batches run padding-free, only real tokens are encoded;
                        compute: pad positions are computed too (same results, more work)
  --max-batch-size B    inputs per batch at most (default ${SERVE_DEFAULTS.maxBatchSize}; 1 turns dynamic batching off)
  --run-size N          inputs per encoder run: a batch is sorted by length and cut into runs of N
                        (default: the max batch size, one run per batch)
  --batch-window-ms MS  how long the oldest queued input waits for others (default ${SERVE_DEFAULTS.batchWindowMs})
  --max-queue N         inputs waiting per model at most; more are answered 429 (default ${SERVE_DEFAULTS.maxQueue})
  --timeout-ms MS       a request not answered by then gets 504 (default ${SERVE_DEFAULTS.timeoutMs})
  --max-body-bytes N    larger request bodies get 413 (default ${SERVE_DEFAULTS.maxBodyBytes})
  --max-text-length N   longer texts (UTF-16 code units) get 400 (default ${SERVE_DEFAULTS.maxTextLength})
  --max-inputs N        more inputs per request get 400 (default ${SERVE_DEFAULTS.maxInputs})`;

const TASKS = ['auto', 'classification', 'token-classification', 'text-matching', 'feature-extraction'];
const DEVICES = ['auto', 'cpu', 'cuda'] as const;

/** `NAME=DIR` or `DIR` (named after the folder). */
function modelArgument(value: string, cwd: string): { name: string; dir: string } {
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(.+)$/.exec(value);
  if (match !== null) return { name: match[1] as string, dir: resolve(cwd, match[2] as string) };
  const dir = resolve(cwd, value);
  return { name: basename(dir), dir };
}

function batchWindow(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value))
    throw new UsageError(`--batch-window-ms expects a number of milliseconds >= 0, got "${value}"`);
  return Number(value);
}

/** Resolves when the process gets SIGTERM or SIGINT; `dispose` stops listening for them. */
function onStopSignal(): { signal: Promise<string>; dispose(): void } {
  let handler: (signal: string) => void = () => {};
  const signal = new Promise<string>((resolve) => {
    handler = resolve;
  });
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
  return {
    signal,
    dispose() {
      process.removeListener('SIGTERM', handler);
      process.removeListener('SIGINT', handler);
    },
  };
}

/** `samp serve`: the HTTP inference server until SIGTERM/SIGINT (docs/serving.md). */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve models over HTTP with dynamic batching (predict, health, metrics, OpenAPI)',
  usage,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const values = parseOptions(argv, {
      model: { type: 'string', multiple: true },
      host: { type: 'string' },
      port: { type: 'string' },
      task: { type: 'string' },
      device: { type: 'string' },
      precision: { type: 'string' },
      profile: { type: 'string' },
      plan: { type: 'string' },
      'max-length': { type: 'string' },
      threads: { type: 'string' },
      workers: { type: 'string' },
      'pad-positions': { type: 'string' },
      'run-size': { type: 'string' },
      'max-batch-size': { type: 'string' },
      'batch-window-ms': { type: 'string' },
      'max-queue': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'max-text-length': { type: 'string' },
      'max-inputs': { type: 'string' },
    });
    const modelArgs = (values.model ?? []).map((m) => modelArgument(m, io.cwd));
    if (modelArgs.length === 0) throw new UsageError('the option --model is required');
    const names = modelArgs.map((m) => m.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined)
      throw new UsageError(`two models are named "${twice}": name them with --model NAME=DIR`);
    const task = values.task ?? 'auto';
    if (!TASKS.includes(task)) throw new UsageError(`--task expects ${TASKS.join(', ')}, got "${task}"`);
    const device = values.device ?? 'auto';
    if (!(DEVICES as readonly string[]).includes(device))
      throw new UsageError(`--device expects ${DEVICES.join(', ')}, got "${device}"`);
    const precision = values.precision ?? 'fp32';
    if (!isSessionPrecision(precision))
      throw new UsageError(`--precision expects fp32, fp16 or int8, got "${precision}"`);
    const maxLength = integerOption(values['max-length'], 'max-length', 3);
    const threads = integerOption(values.threads, 'threads', 0);
    const workers = integerOption(values.workers, 'workers', 1);
    const padPositions = values['pad-positions'] ?? 'skip';
    if (padPositions !== 'skip' && padPositions !== 'compute')
      throw new UsageError(`--pad-positions expects skip or compute, got "${padPositions}"`);
    const runSize = integerOption(values['run-size'], 'run-size', 1);
    const port = integerOption(values.port, 'port', 0) ?? 8080;
    if (port > 65535) throw new UsageError(`--port expects a port number up to 65535, got "${values.port}"`);
    const common: Omit<PipelineOptions, 'model'> = {
      device: device as (typeof DEVICES)[number],
      precision,
      ...(values.profile === undefined ? {} : { profile: resolve(io.cwd, values.profile) }),
      ...(values.plan === undefined ? {} : { plan: resolve(io.cwd, values.plan) }),
      ...(maxLength === undefined ? {} : { maxLength }),
      ...(threads === undefined ? {} : { threads }),
      ...(runSize === undefined ? {} : { batchSize: runSize }),
    };
    const models: ServedModelSpec[] = modelArgs.map((m) => ({
      ...common,
      name: m.name,
      model: m.dir,
      task,
      padPositions,
      ...(workers === undefined ? {} : { workers }),
    }));
    const limits: Partial<Record<keyof ServeOptions, number | undefined>> = {
      maxBatchSize: integerOption(values['max-batch-size'], 'max-batch-size', 1),
      batchWindowMs: batchWindow(values['batch-window-ms']),
      maxQueue: integerOption(values['max-queue'], 'max-queue', 1),
      timeoutMs: integerOption(values['timeout-ms'], 'timeout-ms', 1),
      maxBodyBytes: integerOption(values['max-body-bytes'], 'max-body-bytes', 64),
      maxTextLength: integerOption(values['max-text-length'], 'max-text-length', 1),
      maxInputs: integerOption(values['max-inputs'], 'max-inputs', 1),
    };
    const defined = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));

    // Listen for signals before loading: a SIGTERM while models load still ends the process cleanly.
    const stop = onStopSignal();
    try {
      const server = await startServer({
        ...defined,
        models,
        port,
        host: values.host ?? '127.0.0.1',
        // A server's log lines go to stderr (a container's log); the address goes to stdout for scripts.
        logger: {
          warn: (m) => io.stderr.write(`${m}\n`),
          error: (m) => io.stderr.write(`${m}\n`),
        },
      });
      const described = server.models
        .map(
          (m) => `${m.name}: ${m.task} on ${m.backend}${m.padPositions === 'skip' ? ', padding-free' : ''}`,
        )
        .join(', ');
      io.stdout.write(`samp serve: listening on ${server.url} (${described})\n`);
      const signal = await stop.signal;
      io.stderr.write(`samp serve: ${signal}: finishing the requests in flight\n`);
      await server.close();
      io.stderr.write('samp serve: stopped\n');
      return 0;
    } finally {
      stop.dispose();
    }
  },
};
