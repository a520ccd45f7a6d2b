// Types of oracle.mjs, for the tests that import it.
import type { Tokenizer } from 'tokenizers';

export function loadOracle(): typeof import('tokenizers');
export const SPECIAL: readonly string[];
export function bertTokenizerJson(tokens: readonly string[], lowercase: boolean): string;
export function readVocabLines(text: string): string[];
export function cpToUtf16(s: string): number[];
export function oracleEncode(tokenizer: Tokenizer, c: object): Promise<Record<string, unknown>>;
