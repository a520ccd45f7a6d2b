#!/usr/bin/env node
// Writes the small real-text excerpts the char/word/pool tests use (research-use data: keep them small).
// Usage: node packages/tokenizer/scripts/make-excerpts.mjs [/work/shared/data]
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const data = process.argv[2] ?? '/work/shared/data';
const FIX = join(import.meta.dirname, '../test/fixtures');
const jsonl = (f) =>
  readFileSync(join(data, f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).sentence);
const oneLine = (s) => s.replace(/[\r\n]+/g, ' ').trim();
const en = [
  ...readFileSync(join(data, 'glue_sst2/train.tsv'), 'utf8')
    .split('\n')
    .slice(1, 1501)
    .map((l) => l.split('\t')[0]),
  ...readFileSync(join(data, 'wikitext2/wiki.test.tokens'), 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .slice(0, 150),
].map(oneLine);
const zh = [
  ...jsonl('clue_tnews/fewclue_unlabeled.json').slice(0, 1500),
  ...jsonl('clue_iflytek/fewclue_train_few_all.json').slice(0, 60),
].map(oneLine);
for (const [name, lines] of [
  ['excerpt-en.txt', en],
  ['excerpt-zh.txt', zh],
]) {
  const file = join(FIX, name);
  writeFileSync(`${file}.tmp`, `${lines.filter(Boolean).join('\n')}\n`);
  renameSync(`${file}.tmp`, file);
  process.stdout.write(`${file}: ${lines.length} lines\n`);
}
