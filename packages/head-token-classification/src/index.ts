// @samp/head-token-classification: token classification (NER) with BIO/BIOES span decoding, through
// @samp/core's public head specification only; the decoders and entity metrics also stand alone.
export { getEntities, type TagChunk } from './chunks';
export {
  type Aggregation,
  type DecodeTagsOptions,
  decodeTags,
  type EntitySpan,
  entitiesFromUnits,
  type TaggedUnits,
  type TokenOffsets,
  taggedUnits,
} from './decode-entities';
export { type EntityLike, type EntityScores, entityScores, type PrecisionRecallF1 } from './metrics';
export {
  canonicalScheme,
  detectScheme,
  isTagScheme,
  type ParsedTag,
  parseTag,
  type TagPrefix,
  type TagScheme,
} from './tags';
export {
  createTokenClassificationHead,
  type Entity,
  type TokenClassificationHeadOptions,
  type TokenClassificationInstance,
  type TokenClassificationResult,
  tokenClassificationHead,
} from './token-classification-head';
export { constrainedDecode, isLegalPath, type TransitionRules, transitionRules, viterbi } from './viterbi';
export { continuesWord, wordIdsFromOffsets } from './words';
