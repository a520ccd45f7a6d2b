import { InvalidArgumentError, SampError } from '@samp/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { version } from '../../package.json';
import {
  BodyTooLargeError,
  InvalidRequestError,
  QueueFullError,
  RequestTimeoutError,
  ServeError,
  ServerClosingError,
  UnknownModelError,
} from './errors';
import { PROMETHEUS_CONTENT_TYPE } from './metrics';
import { openApiDocument } from './openapi';
import { checkInputsForTask, parsePredictRequest } from './predict-request';
import { resultJson } from './result-json';
import { openServedModel, type ServedModel, type ServedModelSpec } from './served-model';
import { createServerMetrics, type ServerMetrics } from './server-metrics';

/**
 * Where the server reports what happened (listening, closing, unexpected failures). Every method is
 * optional, so `console` fits; the server never prints by itself.
 */
export interface ServeLogger {
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string, error?: unknown): void;
}

/** Options of {@link createServer}. */
export interface ServeOptions {
  /** The models to serve (at least one), each with its pipeline options and worker count. */
  readonly models: readonly ServedModelSpec[];
  /** Inputs per batch at most (default 32); 1 turns dynamic batching off. */
  readonly maxBatchSize?: number;
  /** How long the oldest queued input waits for others to join its batch, in ms (default 2). */
  readonly batchWindowMs?: number;
  /** Inputs waiting per model at most (default 1024); a request that does not fit gets 429. */
  readonly maxQueue?: number;
  /** Milliseconds a predict request may take before it is answered 504 (default 30000). */
  readonly timeoutMs?: number;
  /** Request body bytes at most (default 1 MiB); larger bodies get 413. */
  readonly maxBodyBytes?: number;
  /** UTF-16 code units per text at most (default 4096); longer texts get 400. */
  readonly maxTextLength?: number;
  /** Inputs per request at most (default 256); more get 400. */
  readonly maxInputs?: number;
  /** Told about listening, shutdown and unexpected errors (default: nobody). */
  readonly logger?: ServeLogger;
}

/** Options of {@link SampServer.listen}. */
export interface ListenOptions {
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`; `0.0.0.0` to accept connections from other machines (containers). */
  readonly host?: string;
}

/** A server built by {@link createServer}: listen, then close gracefully. */
export interface SampServer {
  /** The Fastify instance (to add routes or hooks, or `inject` requests in tests). */
  readonly app: FastifyInstance;
  readonly models: readonly ServedModel[];
  readonly metrics: ServerMetrics;
  /** `http://host:port` once listening. */
  readonly url: string | undefined;
  /** Starts accepting connections; resolves to the URL. */
  listen(options?: ListenOptions): Promise<string>;
  /**
   * Graceful shutdown: stops accepting connections (requests on open ones get 503), finishes the
   * requests in flight, then frees the models' sessions. Idempotent.
   */
  close(): Promise<void>;
}

/** The defaults of {@link ServeOptions}. */
export const SERVE_DEFAULTS = {
  maxBatchSize: 32,
  batchWindowMs: 2,
  maxQueue: 1024,
  timeoutMs: 30_000,
  maxBodyBytes: 1024 * 1024,
  maxTextLength: 4096,
  maxInputs: 256,
} as const;

function checkLimit(options: ServeOptions, name: keyof typeof SERVE_DEFAULTS, min: number): number {
  const value = options[name] ?? SERVE_DEFAULTS[name];
  const ok = name === 'batchWindowMs' ? Number.isFinite(value) : Number.isInteger(value);
  if (typeof value !== 'number' || !ok || value < min)
    throw new InvalidArgumentError(
      name,
      `expected ${name === 'batchWindowMs' ? 'a number' : 'an integer'} >= ${min}, got ${String(value)}`,
    );
  return value;
}

interface ErrorBody {
  readonly status: number;
  readonly body: { error: { code: string; message: string; field?: string } };
}

/** The HTTP answer to an error: samp's own with their status, Fastify's 4xx kept, anything else 500. */
function errorAnswer(error: unknown, maxBodyBytes: number): ErrorBody {
  const answer = (status: number, code: string, message: string, field?: string): ErrorBody => ({
    status,
    body: { error: { code, message, ...(field === undefined ? {} : { field }) } },
  });
  const fastifyCode = (error as { code?: unknown } | null)?.code;
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') error = new BodyTooLargeError(maxBodyBytes);
  if (error instanceof InvalidRequestError) return answer(400, error.code, error.message, error.field);
  if (error instanceof ServeError) return answer(error.httpStatus, error.code, error.message);
  // The pipeline's own check of an input (it should not be reached: inputs are checked before queueing).
  if (error instanceof InvalidArgumentError) return answer(400, error.code, error.message, error.argument);
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return answer(
        415,
        'SAMP_SERVE_UNSUPPORTED_MEDIA_TYPE',
        'expected a body with Content-Type: application/json',
      );
    if (fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return answer(400, 'SAMP_SERVE_INVALID_REQUEST', 'body: empty; expected a JSON object', 'body');
    return answer(status, 'SAMP_SERVE_BAD_REQUEST', (error as Error).message);
  }
  const message = SampError.isInstance(error) ? `${error.message} [${error.code}]` : 'internal error';
  return answer(500, 'SAMP_SERVE_INTERNAL', message);
}

const rejectionReason = (error: unknown): string =>
  error instanceof QueueFullError
    ? 'queue_full'
    : error instanceof RequestTimeoutError
      ? 'timeout'
      : error instanceof ServerClosingError
        ? 'closing'
        : error instanceof ServeError && error.httpStatus < 500
          ? 'invalid'
          : 'error';

/**
 * Builds an HTTP inference server over `pipeline()`: loads every model (each with its workers behind one
 * dynamic batcher) and sets up `POST /v1/predict`, `GET /v1/models`, `/healthz`, `/readyz`, `/metrics`
 * and `/openapi.json` (see docs/serving.md). It keeps no state between requests, so replicas scale
 * out behind any load balancer. Call `listen()` to accept connections.
 * @param options `models` (required), `maxBatchSize` (32), `batchWindowMs` (2), `maxQueue` (1024),
 *   `timeoutMs` (30000), `maxBodyBytes` (1 MiB), `maxTextLength` (4096), `maxInputs` (256), `logger`.
 * @throws InvalidArgumentError for a bad option or duplicate model name; `pipeline()`'s errors for a model.
 * @example
 * const server = await createServer({ models: [{ name: 'tnews', model: 'path/to/model', device: 'cpu' }] });
 * const url = await server.listen({ port: 8080 });
 * // POST {url}/v1/predict {"inputs": ["体育新闻"]} → {"model": "tnews", "outputs": [{"label": …}]}
 * process.once('SIGTERM', () => server.close());
 */
export async function createServer(options: ServeOptions): Promise<SampServer> {
  if (
    typeof options !== 'object' ||
    options === null ||
    !Array.isArray(options.models) ||
    options.models.length === 0
  )
    throw new InvalidArgumentError('models', 'expected at least one model ({ name, model, ... })');
  const maxBatchSize = checkLimit(options, 'maxBatchSize', 1);
  const batchWindowMs = checkLimit(options, 'batchWindowMs', 0);
  const maxQueue = checkLimit(options, 'maxQueue', 1);
  const timeoutMs = checkLimit(options, 'timeoutMs', 1);
  const maxBodyBytes = checkLimit(options, 'maxBodyBytes', 64);
  const maxTextLength = checkLimit(options, 'maxTextLength', 1);
  const maxInputs = checkLimit(options, 'maxInputs', 1);
  const names = options.models.map((m) => m.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined)
    throw new InvalidArgumentError('models', `the model name ${JSON.stringify(duplicate)} is used twice`);
  const logger = options.logger ?? {};

  let models: ServedModel[] = [];
  const metrics = createServerMetrics(() =>
    models.map((m) => ({
      name: m.name,
      queueDepth: m.batcher.queueDepth,
      batchesInFlight: m.batcher.batchesInFlight,
      workers: m.workers,
      sessions: m.sessions(),
    })),
  );
  const batching = {
    maxBatchSize,
    batchWindowMs,
    maxQueue,
    onBatch: (model: string, report: { size: number; durationMs: number }) => {
      metrics.batchSize.observe(report.size, { model });
      metrics.batchSeconds.observe(report.durationMs / 1000, { model });
    },
  };
  const opened = await Promise.allSettled(options.models.map((spec) => openServedModel(spec, batching)));
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(opened.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    throw failed.reason;
  }
  models = opened.map((r) => (r as PromiseFulfilledResult<ServedModel>).value);
  const byName = new Map(models.map((m) => [m.name, m]));

  const app = Fastify({ logger: false, bodyLimit: maxBodyBytes });
  // Our own JSON parser, so a malformed body is answered with where it broke.
  // Only JSON bodies: anything else is answered 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(new InvalidRequestError('body', 'empty; expected a JSON object'), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new InvalidRequestError('body', `malformed JSON: ${(error as Error).message}`), undefined);
    }
  });

  let closing = false;
  app.setErrorHandler((error, _request, reply) => {
    const { status, body } = errorAnswer(error, maxBodyBytes);
    if (status >= 500 && status !== 503 && status !== 504)
      logger.error?.(`samp serve: ${body.error.message}`, error);
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: 'SAMP_SERVE_NOT_FOUND',
        message: `no route ${request.method} ${request.url} (see GET /openapi.json)`,
      },
    }),
  );
  // While closing, answers end their connection: a keep-alive connection left open would hold the
  // shutdown until the client's idle timeout.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = String(reply.statusCode);
    metrics.requests.inc({ route, method: request.method, status });
    metrics.requestSeconds.observe(reply.elapsedTime / 1000, { route, status });
  });

  app.post('/v1/predict', async (request) => {
    // Rejections are counted by served model only: a name from the request would be unbounded.
    const asked = (request.body as { model?: unknown } | null)?.model;
    let counted =
      typeof asked === 'string' && byName.has(asked) ? asked : models.length === 1 ? names[0] : '';
    try {
      const parsed = parsePredictRequest(request.body, { maxInputs, maxTextLength });
      let model: ServedModel | undefined;
      if (parsed.model === undefined) {
        if (models.length > 1)
          throw new InvalidRequestError(
            'model',
            `missing field: this server serves several models (${names.join(', ')})`,
          );
        model = models[0] as ServedModel;
      } else model = byName.get(parsed.model);
      if (model === undefined) throw new UnknownModelError(parsed.model as string, names);
      counted = model.name;
      checkInputsForTask(parsed, model.task, model.accepts);
      const results = await model.batcher.submit(parsed.inputs, { timeoutMs });
      metrics.inputs.inc({ model: model.name }, results.length);
      const outputs = results.map(resultJson);
      return { model: model.name, outputs: parsed.single ? outputs[0] : outputs };
    } catch (error) {
      metrics.rejected.inc({ model: counted, reason: rejectionReason(error) });
      throw error;
    }
  });
  app.get('/v1/models', async () => ({
    models: models.map((m) => ({
      name: m.name,
      task: m.task,
      inputs: m.accepts,
      labels: m.labels,
      backend: m.backend,
      workers: m.workers,
      max_length: m.maxLength,
    })),
  }));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    closing ? reply.code(503).send({ status: 'closing' }) : { status: 'ready', models: names },
  );
  app.get('/metrics', async (_request, reply) =>
    reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.scrape()),
  );
  const openapi = openApiDocument({ models: names, maxInputs, maxTextLength, maxBodyBytes, version });
  app.get('/openapi.json', async () => openapi);

  let url: string | undefined;
  let closed: Promise<void> | undefined;
  return {
    app,
    models,
    metrics,
    get url() {
      return url;
    },
    async listen(listenOptions: ListenOptions = {}) {
      const address = await app.listen({
        port: listenOptions.port ?? 8080,
        host: listenOptions.host ?? '127.0.0.1',
      });
      const port = (app.server.address() as { port: number }).port;
      const host = listenOptions.host ?? '127.0.0.1';
      url = host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
      logger.info?.(`samp serve: listening on ${url} (${address}); models: ${names.join(', ')}`);
      return url;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        logger.info?.('samp serve: closing: finishing the requests in flight');
        // Stops accepting and waits for the requests in flight, whose batches keep running meanwhile.
        await app.close();
        await Promise.all(models.map((m) => m.close()));
        logger.info?.('samp serve: closed');
      })();
      return closed;
    },
  };
}

/**
 * {@link createServer}, then `listen()`: resolves to the listening server.
 * @param options the server's options plus `port` (8080) and `host` (`127.0.0.1`).
 * @example
 * const server = await startServer({ models: [{ name: 'tnews', model: dir }], port: 0 });
 * console.log(server.url);
 * await server.close();
 */
export async function startServer(options: ServeOptions & ListenOptions): Promise<SampServer> {
  const server = await createServer(options);
  try {
    await server.listen({
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.host === undefined ? {} : { host: options.host }),
    });
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}
