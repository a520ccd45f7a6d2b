#!/usr/bin/env node
// Writes test/fixtures/golden-{uncased,chinese}-{lower,cased}.jsonl: the `tokenizers` crate's output
// (through its npm binding) for every case of test/fixtures/cases.jsonl, for both official BERT
// vocabularies with and without lowercasing. Offsets are converted to UTF-16 code units (the binding
// reports code points, like Python).
//
// Usage: node packages/tokenizer/scripts/make-goldens.mjs [VOCAB_DIR]
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bertTokenizerJson, loadOracle, oracleEncode, readVocabLines } from './oracle.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '../test/fixtures');
const vocabDir = process.argv[2] ?? join(fixtures, 'vocab');
const { Tokenizer } = loadOracle();
const cases = readFileSync(join(fixtures, 'cases.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l));

for (const [name, file] of [
  ['uncased', 'bert-base-uncased-vocab.txt'],
  ['chinese', 'bert-base-chinese-vocab.txt'],
]) {
  const tokens = readVocabLines(readFileSync(join(vocabDir, file), 'utf8'));
  for (const lowercase of [true, false]) {
    const tok = Tokenizer.fromString(bertTokenizerJson(tokens, lowercase));
    const out = [];
    for (const c of cases) out.push(JSON.stringify(await oracleEncode(tok, c)));
    const path = join(fixtures, `golden-${name}-${lowercase ? 'lower' : 'cased'}.jsonl`);
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, `${out.join('\n')}\n`);
    renameSync(tmp, path);
    process.stdout.write(`wrote ${out.length} records to ${path}\n`);
  }
}
