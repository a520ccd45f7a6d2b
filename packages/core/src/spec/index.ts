export {
  type BackendProbe,
  type BackendProbeStatus,
  type EncoderBackendV1,
  type EncoderInput,
  type EncoderOutput,
  type EncoderRunOptions,
  type EncoderSession,
  type EncoderSessionOptions,
  isEncoderBackendV1,
  type ObservedTensor,
} from './encoder-backend';
export {
  type HeadContext,
  type HeadCreateOptions,
  type HeadInstance,
  type HeadSupport,
  type HeadV1,
  isHeadV1,
} from './head';
export {
  type EncoderRunLimits,
  type InputLimits,
  MAX_TOKENS_PER_RUN,
  maxRowsPerRun,
  maxSequenceLength,
  validateEncoderInput,
} from './validate-encoder-input';
