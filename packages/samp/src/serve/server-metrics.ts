import {
  type DeviceMemoryReading,
  deviceMemorySeries,
  readDeviceMemory,
  sessionBytesByDevice,
} from './device-memory';
import { type Counter, type Histogram, MetricsRegistry } from './metrics';
import type { ServedSession } from './served-sessions';

/** What the server's gauges read at scrape time, per model. */
export interface ModelGaugeSource {
  readonly name: string;
  readonly queueDepth: number;
  readonly batchesInFlight: number;
  readonly workers: number;
  /** The workers' live sessions, whose memory `samp_device_memory_bytes` reports (default none). */
  readonly sessions?: readonly ServedSession[];
}

/** The metrics `samp serve` exposes on `GET /metrics`. */
export interface ServerMetrics {
  readonly registry: MetricsRegistry;
  /** HTTP requests answered, by `route`, `method`, `status`. */
  readonly requests: Counter;
  /** HTTP request latency in seconds, by `route` and `status`. */
  readonly requestSeconds: Histogram;
  /** Inputs predicted, by `model`. */
  readonly inputs: Counter;
  /** Predict requests not answered with predictions, by `model` and `reason` (invalid, queue_full, timeout, closing, error). */
  readonly rejected: Counter;
  /** Inputs per batch run, by `model`. */
  readonly batchSize: Histogram;
  /** Batch run time in seconds, by `model`. */
  readonly batchSeconds: Histogram;
  /**
   * Reads the GPUs' memory (asynchronous, off the JS thread), then renders every metric: what
   * `GET /metrics` answers. `registry.render()` alone shows the GPU readings of the last scrape.
   */
  scrape(): Promise<string>;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/**
 * Creates the server's metrics. Gauges (queue depth, batches in flight, workers, memory) are read from
 * `models()`, the sessions' `memoryUsage()` and `process.memoryUsage()` when rendered; the GPUs' used and
 * total memory (`deviceMemory` of the CUDA backend) are read by `scrape()`.
 * @param models the served models' live state.
 * @example
 * const metrics = createServerMetrics(() => [{ name: 'tnews', queueDepth: 0, batchesInFlight: 0, workers: 1, sessions }]);
 * const text = await metrics.scrape(); // '# HELP samp_http_requests_total …'
 */
export function createServerMetrics(models: () => readonly ModelGaugeSource[]): ServerMetrics {
  const registry = new MetricsRegistry();
  const sessions = (): ServedSession[] => models().flatMap((m) => m.sessions ?? []);
  let readings: ReadonlyMap<string, DeviceMemoryReading> = new Map();
  const metrics: ServerMetrics = {
    registry,
    requests: registry.counter(
      'samp_http_requests_total',
      'HTTP requests answered, by route, method and status.',
    ),
    requestSeconds: registry.histogram(
      'samp_http_request_duration_seconds',
      'HTTP request latency in seconds (receipt to answer), by route and status.',
      LATENCY_BUCKETS,
    ),
    inputs: registry.counter(
      'samp_predict_inputs_total',
      'Inputs (texts or text pairs) predicted, by model.',
    ),
    rejected: registry.counter(
      'samp_predict_rejected_total',
      'Predict requests not answered with predictions, by model and reason (invalid, queue_full, timeout, closing, error).',
    ),
    batchSize: registry.histogram(
      'samp_batch_size',
      'Inputs per encoder batch (dynamic batching), by model.',
      BATCH_BUCKETS,
    ),
    batchSeconds: registry.histogram(
      'samp_batch_duration_seconds',
      'Run time of one batch (tokenize, encode, decode) in seconds, by model.',
      LATENCY_BUCKETS,
    ),
    async scrape() {
      readings = await readDeviceMemory(sessions());
      return registry.render();
    },
  };
  registry.gauge('samp_queue_depth', 'Inputs waiting for a worker, by model.', () =>
    models().map((m) => [{ model: m.name }, m.queueDepth]),
  );
  registry.gauge('samp_batches_in_flight', 'Batches running now, by model.', () =>
    models().map((m) => [{ model: m.name }, m.batchesInFlight]),
  );
  registry.gauge('samp_workers', 'Workers (backend sessions) per model.', () =>
    models().map((m) => [{ model: m.name }, m.workers]),
  );
  registry.gauge(
    'samp_device_memory_bytes',
    'Memory per device in bytes, by kind: rss (cpu: the resident set of the process), sessions (weights and workspace the sessions hold), used and total (GPUs: the whole device).',
    () => deviceMemorySeries(process.memoryUsage().rss, sessionBytesByDevice(sessions()), readings),
  );
  registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use, in bytes.', () => [
    [{}, process.memoryUsage().heapUsed],
  ]);
  registry.gauge('nodejs_external_memory_bytes', 'Memory of buffers outside the V8 heap, in bytes.', () => [
    [{}, process.memoryUsage().external],
  ]);
  return metrics;
}
