// `samp serve` as a library: an HTTP inference server with dynamic batching over pipeline().
export {
  type Batcher,
  type BatcherOptions,
  type BatchReport,
  type BatchRunner,
  createBatcher,
  type SubmitOptions,
} from './batcher';
export {
  createServer,
  type ListenOptions,
  type SampServer,
  SERVE_DEFAULTS,
  type ServeLogger,
  type ServeOptions,
  startServer,
} from './create-server';
export {
  type DeviceMemoryReading,
  deviceMemorySeries,
  readDeviceMemory,
  sessionBytesByDevice,
} from './device-memory';
export {
  BodyTooLargeError,
  InvalidRequestError,
  QueueFullError,
  RequestTimeoutError,
  ServeError,
  ServerClosingError,
  UnknownModelError,
} from './errors';
export {
  type Counter,
  type Gauge,
  type Histogram,
  type MetricLabels,
  MetricsRegistry,
  PROMETHEUS_CONTENT_TYPE,
} from './metrics';
export { type OpenApiContext, openApiDocument } from './openapi';
export { type PaddingFreeRequest, paddingFreeBackends, type ServePadding } from './padding-free';
export {
  checkInputsForTask,
  type PredictInput,
  type PredictRequest,
  type PredictRequestLimits,
  parsePredictRequest,
} from './predict-request';
export { resultJson } from './result-json';
export {
  type BatchingOptions,
  openServedModel,
  type ServedModel,
  type ServedModelSpec,
} from './served-model';
export { recordSessions, type ServedSession, type SessionRecorder } from './served-sessions';
export { createServerMetrics, type ModelGaugeSource, type ServerMetrics } from './server-metrics';
