// `samp serve` end to end over real HTTP on loopback with the trained TNEWS demo model (and SST-2 as a
// second model) on the CPU backend: answers equal a direct pipeline() call and reach the right requester
// under concurrency, dynamic batching really batches, every bad request gets its 4xx without touching
// the others, 429 on a full queue, 504 on timeout, /metrics, and graceful shutdown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Pipeline, pipeline } from '../src/pipeline';
import { resultJson, type SampServer, startServer } from '../src/serve';
import { readDev, TRAINED } from './support/dev-sets';

const titles = readDev(TRAINED.tnews, 60).map((l) => l.text);
const CPU = { device: 'cpu', threads: 1 } as const;

interface Output {
  label: string;
  label_id: number;
  score: number;
  logits: number[];
}

// biome-ignore lint/suspicious/noExplicitAny: the answers' JSON has many shapes; the tests reach into it freely.
type Json = any;

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

/** Expects `actual` to be the direct pipeline's answer (logits equal up to float rounding of batching). */
function expectSame(actual: Output, expected: Record<string, unknown>) {
  expect(actual.label).toBe(expected.label);
  expect(actual.label_id).toBe(expected.label_id);
  const logits = expected.logits as number[];
  expect(actual.logits).toHaveLength(logits.length);
  actual.logits.forEach((x, i) => {
    expect(Math.abs(x - (logits[i] as number))).toBeLessThan(1e-4);
  });
}

describe('samp serve over HTTP (TNEWS + SST-2, CPU)', () => {
  let server: SampServer;
  let url: string;
  let direct: Pipeline;
  let expected: Record<string, unknown>[];

  beforeAll(async () => {
    server = await startServer({
      models: [
        { name: 'tnews', model: TRAINED.tnews, ...CPU },
        { name: 'sst2', model: TRAINED.sst2, ...CPU },
      ],
      port: 0,
      maxTextLength: 200,
      maxInputs: 16,
      maxBodyBytes: 4096,
      batchWindowMs: 5,
    });
    url = server.url as string;
    direct = await pipeline('classification', { model: TRAINED.tnews, ...CPU });
    expected = (await direct(titles)).map(resultJson);
  });

  afterAll(async () => {
    await server?.close();
    await direct?.dispose();
  });

  it('answers one input with one output and a batch with outputs in order, as pipeline() does', async () => {
    // The server runs padding-free by default; `direct` computes pad positions: same answers.
    expect(server.models.map((m) => m.padPositions)).toEqual(['skip', 'skip']);
    const one = await post(url, { model: 'tnews', inputs: titles[0] });
    expect(one.status).toBe(200);
    expect(one.json.model).toBe('tnews');
    expectSame(one.json.outputs, expected[0] as Record<string, unknown>);
    const batch = await post(url, { model: 'tnews', inputs: titles.slice(0, 8).map((text) => ({ text })) });
    expect(batch.status).toBe(200);
    expect(batch.json.outputs).toHaveLength(8);
    batch.json.outputs.forEach((o: Output, i: number) => {
      expectSame(o, expected[i] as Record<string, unknown>);
    });
    const sst2 = await post(url, { model: 'sst2', inputs: ['a charming and often affecting journey'] });
    expect(sst2.status).toBe(200);
    expect(sst2.json.outputs[0].label).toBe('positive');
  });

  it('batches concurrent requests dynamically and returns each answer to its own requester', async () => {
    const before = server.metrics.registry.render();
    const batchesBefore = Number(/samp_batch_size_count\{model="tnews"\} (\d+)/.exec(before)?.[1] ?? 0);
    // 40 clients at once: singles and small batches, interleaved.
    const requests = Array.from({ length: 40 }, (_, r) => {
      const indices = r % 3 === 0 ? [r, (r + 17) % 60, (r + 31) % 60] : [r];
      const inputs = indices.map((i) => titles[i] as string);
      return post(url, {
        inputs: r % 2 === 0 ? inputs : inputs.map((text) => ({ text })),
        model: 'tnews',
      }).then((response) => ({ response, indices }));
    });
    const answers = await Promise.all(requests);
    let inputs = 0;
    for (const { response, indices } of answers) {
      expect(response.status).toBe(200);
      expect(response.json.outputs).toHaveLength(indices.length);
      indices.forEach((i, k) => {
        expectSame(response.json.outputs[k], expected[i] as Record<string, unknown>);
      });
      inputs += indices.length;
    }
    const after = server.metrics.registry.render();
    const batchesAfter = Number(/samp_batch_size_count\{model="tnews"\} (\d+)/.exec(after)?.[1]);
    // Fewer encoder runs than requests: they were batched together.
    expect(batchesAfter - batchesBefore).toBeLessThan(answers.length / 2);
    expect(inputs).toBe(68);
  });

  it('answers bad requests with a 4xx naming the problem, and other requests are not affected', async () => {
    const good = Promise.all(titles.slice(0, 12).map((text) => post(url, { model: 'tnews', inputs: text })));
    const cases: [unknown, number, string, RegExp][] = [
      ['{"model": "tnews", "inputs": [', 400, 'body', /malformed JSON/],
      ['', 400, 'body', /empty/],
      ['[1, 2]', 400, 'body', /expected a JSON object/],
      [{ model: 'tnews' }, 400, 'inputs', /missing field/],
      [{ model: 'tnews', inputs: [] }, 400, 'inputs', /at least one/],
      [
        { model: 'tnews', inputs: ['a', 'b', 'c', { text: 7 }] },
        400,
        'inputs[3].text',
        /expected a string, got a number/,
      ],
      [{ model: 'tnews', inputs: [{ txt: 'a' }] }, 400, 'inputs[0].txt', /unknown field/],
      [{ model: 'tnews', inputs: [{ text_pair: 'a' }] }, 400, 'inputs[0].text', /missing field/],
      [{ model: 'tnews', inputs: 'a', options: {} }, 400, 'options', /unknown field/],
      [
        { model: 'tnews', inputs: ['x'.repeat(201)] },
        400,
        'inputs[0]',
        /201 characters, over the limit of 200/,
      ],
      [
        { model: 'tnews', inputs: { text: 'a', text_pair: 'y'.repeat(300) } },
        400,
        'inputs.text_pair',
        /over the limit/,
      ],
      [{ model: 'tnews', inputs: Array(17).fill('a') }, 400, 'inputs', /17 inputs, over the limit of 16/],
      [{ model: 42, inputs: 'a' }, 400, 'model', /expected a model name/],
      [{ inputs: 'a' }, 400, 'model', /several models \(tnews, sst2\)/],
    ];
    for (const [body, status, field, message] of cases) {
      const r = await post(url, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.error.code).toBe('SAMP_SERVE_INVALID_REQUEST');
      expect(r.json.error.field, JSON.stringify(body)).toBe(field);
      expect(r.json.error.message).toMatch(message);
    }
    const unknown = await post(url, { model: 'gpt', inputs: 'a' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'SAMP_SERVE_UNKNOWN_MODEL' });
    expect(unknown.json.error.message).toMatch(/no model named "gpt".*served: tnews, sst2/);
    const huge = await post(url, { model: 'tnews', inputs: ['长'.repeat(5000)] });
    expect(huge.status).toBe(413);
    expect(huge.json.error).toMatchObject({ code: 'SAMP_SERVE_BODY_TOO_LARGE' });
    expect(huge.json.error.message).toMatch(/over the limit of 4096 bytes/);
    const text = await post(url, 'inputs=a', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.json.error.message).toMatch(/application\/json/);
    const route = await fetch(`${url}/v2/predict`);
    expect(route.status).toBe(404);
    for (const [i, r] of (await good).entries()) {
      expect(r.status).toBe(200);
      expectSame(r.json.outputs, expected[i] as Record<string, unknown>);
    }
  });

  it('serves health, readiness, the model list and the OpenAPI description', async () => {
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', models: ['tnews', 'sst2'] });
    const { models } = (await (await fetch(`${url}/v1/models`)).json()) as { models: Json[] };
    expect(models.map((m) => [m.name, m.task, m.backend, m.workers])).toEqual([
      ['tnews', 'classification', 'cpu', 1],
      ['sst2', 'classification', 'cpu', 1],
    ]);
    expect(models[0].labels).toHaveLength(15);
    expect(models[1].labels).toEqual(['negative', 'positive']);
    const openapi = (await (await fetch(`${url}/openapi.json`)).json()) as Json;
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toContain('/v1/predict');
    expect(openapi.components.schemas.PredictRequest.properties.model.enum).toEqual(['tnews', 'sst2']);
    expect(openapi.components.schemas.PredictRequest.properties.inputs.oneOf[1].maxItems).toBe(16);
  });

  it('exposes Prometheus metrics: requests, latency, batch sizes, queue depth, memory', async () => {
    const response = await fetch(`${url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^# HELP samp_http_requests_total /m);
    expect(text).toMatch(/^# TYPE samp_http_request_duration_seconds histogram$/m);
    expect(text).toMatch(
      /^samp_http_requests_total\{route="\/v1\/predict",method="POST",status="200"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(
      /^samp_http_requests_total\{route="\/v1\/predict",method="POST",status="400"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(/^samp_http_requests_total\{route="\/v1\/predict",method="POST",status="413"\} 1$/m);
    expect(text).toMatch(
      /^samp_http_request_duration_seconds_bucket\{route="\/v1\/predict",status="200",le="\+Inf"\} \d+$/m,
    );
    expect(text).toMatch(/^samp_batch_size_bucket\{model="tnews",le="1"\} \d+$/m);
    expect(text).toMatch(/^samp_queue_depth\{model="tnews"\} 0$/m);
    expect(text).toMatch(/^samp_queue_depth\{model="sst2"\} 0$/m);
    expect(text).toMatch(/^samp_predict_rejected_total\{model="tnews",reason="invalid"\} [1-9]/m);
    expect(text).toMatch(/^samp_device_memory_bytes\{device="cpu",kind="rss"\} [1-9]\d+$/m);
    // Both models' CPU sessions, each with its packed weights and the scratch of the runs above.
    const sessions = server.models.flatMap((m) => m.sessions());
    expect(sessions.map((s) => s.backend.name)).toEqual(['cpu', 'cpu']);
    const held = sessions.reduce((sum, { session }) => {
      const usage = session.memoryUsage?.();
      expect(usage?.weightBytes).toBeGreaterThan(1_000_000);
      expect(usage?.workspaceBytes).toBeGreaterThan(0);
      return sum + (usage?.weightBytes ?? 0) + (usage?.workspaceBytes ?? 0);
    }, 0);
    expect(text).toContain(`\nsamp_device_memory_bytes{device="cpu",kind="sessions"} ${held}\n`);
    const predicted = Number(/^samp_predict_inputs_total\{model="tnews"\} (\d+)$/m.exec(text)?.[1]);
    expect(predicted).toBeGreaterThanOrEqual(1 + 8 + 68 + 12);
  });
});

describe('samp serve limits and shutdown', () => {
  const open = (options: Partial<Parameters<typeof startServer>[0]>) =>
    startServer({ models: [{ name: 'tnews', model: TRAINED.tnews, ...CPU }], port: 0, ...options });

  it('refuses a request that does not fit in the queue with 429, and still answers the queued one', async () => {
    const server = await open({ maxQueue: 4, batchWindowMs: 300 });
    try {
      const first = post(server.url as string, { inputs: titles.slice(0, 3) });
      await waitFor(() => server.models[0]?.batcher.queueDepth === 3);
      const second = await post(server.url as string, { inputs: titles.slice(3, 6) });
      expect(second.status).toBe(429);
      expect(second.json.error.code).toBe('SAMP_SERVE_QUEUE_FULL');
      expect(second.json.error.message).toMatch(/queue of model "tnews" is full \(4 inputs/);
      const answered = await first;
      expect(answered.status).toBe(200);
      expect(answered.json.outputs).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it('answers 504 when a request is not answered within the timeout', async () => {
    const server = await open({ timeoutMs: 50, batchWindowMs: 2000, maxBatchSize: 8 });
    try {
      const r = await post(server.url as string, { inputs: titles[0] });
      expect(r.status).toBe(504);
      expect(r.json.error).toEqual({
        code: 'SAMP_SERVE_TIMEOUT',
        message: 'the request was not answered within 50 ms',
      });
      expect(server.models[0]?.batcher.queueDepth).toBe(0);
      expect(server.metrics.rejected.get({ model: 'tnews', reason: 'timeout' })).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('shuts down gracefully: finishes the requests in flight, then refuses connections', async () => {
    const server = await open({ batchWindowMs: 400 });
    const url = server.url as string;
    const requests = titles.slice(0, 5).map((text) => post(url, { inputs: text }));
    // Every request is queued (inside the batch window) when the shutdown starts.
    await waitFor(() => server.models[0]?.batcher.queueDepth === 5);
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    // A new request while closing is refused (503 on an open connection, or no connection at all).
    const late = await post(url, { inputs: titles[9] }).catch((error: Error) => ({ status: 0, json: error }));
    expect([0, 503]).toContain(late.status);
    const answers = await Promise.all(requests);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.json.outputs.label).toEqual(expect.any(String));
    }
    expect(server.metrics.batchSize).toBeDefined();
    await closing;
    expect(closed).toBe(true);
    // Freed sessions are no longer reported.
    expect(server.models[0]?.sessions()).toEqual([]);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 2));
  }
}
