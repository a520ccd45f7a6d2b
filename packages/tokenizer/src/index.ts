export { WordPieceTokenizer } from './wordpiece/wordpiece-tokenizer';
export { Vocabulary } from './vocabulary';
