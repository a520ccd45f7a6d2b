// @samp/embedding: the embedding stage of BERT-family models: per-architecture rules, a TypeScript
// reference (float64) and the fused-kernel contract every backend implements.
export {
  type ComputeEmbeddingsOptions,
  computeEmbeddings,
  loadEmbeddingTables,
  quantizeInt8,
  referenceFusedEmbedding,
} from './compute-embeddings';
export {
  type EmbeddingConfig,
  type EmbeddingRules,
  embeddingRules,
  type PositionIdRule,
  positionIds,
} from './embedding-rules';
export type {
  EmbeddingTables,
  FusedEmbeddingContract,
  FusedEmbeddingRequest,
  FusedEmbeddingResult,
} from './fused-embedding-contract';
