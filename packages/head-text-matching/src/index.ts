// @samp/head-text-matching: sentence-pair cross-encoders (through @samp/head-classification) and
// bi-encoder similarity, through @samp/core's public head specification only.
export { cosineSimilarity, dot, type Pooling, type PoolingOptions, poolEmbeddings } from './pooling';
export {
  type BiEncoderResult,
  type CrossEncoderResult,
  createTextMatchingHead,
  type TextMatchingHeadOptions,
  type TextMatchingInstance,
  type TextMatchingMode,
  type TextMatchingResult,
  textMatchingHead,
} from './text-matching-head';
