// @samp/tokenizer: WordPiece exactly as Hugging Face's BertTokenizer, char-level and word-level
// tokenizers, typed-array batches and a worker-thread pool.
export { type AddedToken, AddedTokenMatcher } from './added-tokens';
export { concatBatches, packBatch, reorderRows, type TokenBatch } from './batch';
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
export { tokenizerFromSpec } from './from-spec';
export { fromModelDir, fromSettings, fromVocab, fromVocabFile } from './load';
export { type CharOptions, CharTokenizer } from './lookup/char-tokenizer';
export {
  isUncasedVocab,
  type LookupOptions,
  LookupTokenizer,
  lowercaseKey,
  type ResolvedLookupOptions,
} from './lookup/lookup-base';
export {
  createJiebaSegmenter,
  IntlSegmenter,
  type JiebaLike,
  type JiebaSegmenterOptions,
  type Segmenter,
  type SegmenterSpec,
  WhitespaceSegmenter,
} from './lookup/segmenter';
export { WORD_CHUNK, type WordOptions, WordTokenizer } from './lookup/word-tokenizer';
export { createTokenizerPool, type TokenizerPool, type TokenizerPoolOptions } from './pool/pool';
export { type TokenSeq, TokenSink } from './token-sink';
export {
  BaseTokenizer,
  type BatchOptions,
  type BatchPool,
  type BucketOptions,
  DEFAULT_MAX_INPUT_LENGTH,
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
