// @samp/core/testing: conformance suites and golden fixtures for backend and head packages' tests.
// Imports vitest (an optional peer dependency of @samp/core); never import it from library code.
export {
  BACKEND_CONFORMANCE_CHECKS,
  type BackendConformanceCheck,
  type BackendConformanceOptions,
  DEFAULT_TOLERANCE,
  describeEncoderBackendConformance,
} from './backend-conformance';
export { relativeError } from './compare';
export {
  type FixtureModel,
  type FixtureWeightsFormat,
  fixturesDir,
  listFixtureModels,
  readFixtureExpected,
  readFixtureInputs,
} from './fixtures';
export {
  describeHeadConformance,
  HEAD_CONFORMANCE_CHECKS,
  type HeadConformanceCheck,
  type HeadConformanceOptions,
} from './head-conformance';
export { defaultModelLoader, type ModelLoader } from './load-fixture-model';
export { type Float32Tensor, readSafetensorsSync } from './read-safetensors';
