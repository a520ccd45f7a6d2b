// @samp/tokenizer: WordPiece exactly as Hugging Face's BertTokenizer, char-level and word-level
// tokenizers, typed-array batches and a worker-thread pool.
export { type AddedToken, AddedTokenMatcher } from './added-tokens';
export { concatBatches, packBatch, type TokenBatch } from './batch';
export {
  bertTemplate,
  type Encoding,
  type PostProcessOptions,
  type PostTemplate,
  type Side,
  type TemplatePiece,
  type TruncationStrategy,
} from './encoding';
export {
  TokenizerConfigError,
  TokenizerError,
  type TokenizerErrorOptions,
  TokenizerInputError,
  TokenizerOptionError,
  TokenizerPoolError,
  TruncationError,
  VocabError,
} from './errors';
export { fromModelDir, fromSettings, fromVocab, fromVocabFile } from './load';
export { type TokenSeq, TokenSink } from './token-sink';
export {
  BaseTokenizer,
  type BatchOptions,
  type BucketOptions,
  type EncodeInput,
  type EncodeOptions,
  type Padding,
  readInput,
  type TokenizerSpec,
} from './tokenizer';
export { UNICODE_TABLES_SOURCE } from './unicode/generated/bert-tables';
export { Vocabulary } from './vocabulary';
export type { BertNormalizerOptions } from './wordpiece/bert-pipeline';
export {
  type AddedTokenInit,
  type SpecialTokens,
  type WordPieceOptions,
  WordPieceTokenizer,
} from './wordpiece/wordpiece-tokenizer';
