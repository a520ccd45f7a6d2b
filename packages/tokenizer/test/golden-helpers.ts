import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Encoding } from '../src/encoding';
import { TokenizerError } from '../src/errors';
import type { EncodeOptions } from '../src/tokenizer';
import { Vocabulary } from '../src/vocabulary';
import { WordPieceTokenizer } from '../src/wordpiece/wordpiece-tokenizer';

export const FIXTURES = join(__dirname, 'fixtures');

/** One input of test/fixtures/cases.jsonl. */
export interface Case {
  id: string;
  text: string;
  text_pair?: string;
  max_length?: number;
  truncation?: 'longest_first' | 'only_first' | 'only_second';
  truncation_side?: 'left' | 'right';
  stride?: number;
  return_overflowing?: boolean;
}

/** One expected output (ids, type ids, UTF-16 offsets), or the error the reference raised. */
export interface GoldenEncoding {
  input_ids: number[];
  token_type_ids: number[];
  offsets: [number, number][];
  tokens?: string[];
}
export interface GoldenResult extends Partial<GoldenEncoding> {
  error?: string;
  overflowing?: GoldenEncoding[];
}
export interface Golden extends GoldenResult {
  id: string;
  skipped?: string;
  /** tokenizers 0.23's own `encode` with its truncation early exit (cases with max_length only). */
  early_exit?: GoldenResult;
}

export function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

export const cases = (): Case[] => readJsonl<Case>(join(FIXTURES, 'cases.jsonl'));

const vocabs = new Map<string, Vocabulary>();
export function vocabFor(name: 'uncased' | 'chinese'): Vocabulary {
  let v = vocabs.get(name);
  if (v === undefined) {
    const file = join(
      FIXTURES,
      'vocab',
      name === 'uncased' ? 'bert-base-uncased-vocab.txt' : 'bert-base-chinese-vocab.txt',
    );
    v = Vocabulary.fromText(readFileSync(file, 'utf8'), file);
    vocabs.set(name, v);
  }
  return v;
}

export function tokenizerFor(name: 'uncased' | 'chinese', lowercase: boolean): WordPieceTokenizer {
  return new WordPieceTokenizer(vocabFor(name), { lowercase });
}

export function caseOptions(c: Case): EncodeOptions {
  return {
    maxLength: c.max_length,
    truncation: c.truncation,
    truncationSide: c.truncation_side,
    stride: c.stride,
    returnOverflowing: c.return_overflowing,
  };
}

function plain(e: Encoding): GoldenEncoding {
  const offsets: [number, number][] = [];
  for (let i = 0; i < e.length; i++)
    offsets.push([e.offsets[2 * i] as number, e.offsets[2 * i + 1] as number]);
  return { input_ids: Array.from(e.ids), token_type_ids: Array.from(e.typeIds), offsets };
}

/** Runs a case; returns a description of each difference from the golden record (empty when equal). */
export function compareCase(tok: WordPieceTokenizer, c: Case, g: GoldenResult, earlyExit = false): string[] {
  let enc: Encoding;
  try {
    enc = tok.encode(c.text, c.text_pair, { ...caseOptions(c), truncationEarlyExit: earlyExit });
  } catch (e) {
    if (g.error !== undefined && TokenizerError.isInstance(e)) return [];
    return [`${c.id}: threw ${(e as Error).message}`];
  }
  if (g.error !== undefined) return [`${c.id}: expected an error (${g.error}), got ${enc.length} tokens`];
  const diffs: string[] = [];
  const cmp = (label: string, got: GoldenEncoding, want: GoldenEncoding): void => {
    for (const k of ['input_ids', 'token_type_ids', 'offsets'] as const) {
      const a = JSON.stringify(got[k]);
      const b = JSON.stringify(want[k]);
      if (a !== b) {
        const tokens = want.tokens === undefined ? '' : ` tokens ${JSON.stringify(want.tokens)}`;
        const gotTokens = JSON.stringify(tok.convertIdsToTokens(got.input_ids));
        diffs.push(
          `${label} ${k}: got ${a.slice(0, 300)} want ${b.slice(0, 300)}${tokens.slice(0, 300)} ours ${gotTokens.slice(0, 300)}`,
        );
      }
    }
  };
  cmp(c.id, plain(enc), g as GoldenEncoding);
  if (c.return_overflowing) {
    const want = g.overflowing ?? [];
    if (enc.overflowing.length !== want.length) {
      diffs.push(`${c.id}: ${enc.overflowing.length} overflowing windows, want ${want.length}`);
    } else {
      for (let i = 0; i < enc.overflowing.length; i++) {
        cmp(`${c.id} overflow ${i}`, plain(enc.overflowing[i] as Encoding), want[i] as GoldenEncoding);
      }
    }
  }
  return diffs;
}
