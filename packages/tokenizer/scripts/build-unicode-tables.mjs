#!/usr/bin/env node
// Derives the Unicode tables that Hugging Face's `tokenizers` crate uses for BERT
// (BertNormalizer + BertPreTokenizer) by probing the crate itself, through the `tokenizers` npm
// binding (the real Rust code), over every code point. Writes src/unicode/generated/bert-tables.ts.
//
// Why probe instead of reading UnicodeData.txt: the crate mixes several Unicode versions — Rust's
// std (`char::is_whitespace`, `char::to_lowercase`, the toolchain's version), `unicode_categories`
// 0.1.1 (Cc/Cf/Co, Mn, P*; an old Unicode) and `unicode-normalization-alignments` 0.1.12 (NFD,
// Unicode 9.0.0). Probing the compiled binary captures exactly what it does.
//
// Usage: node packages/tokenizer/scripts/build-unicode-tables.mjs [--check]
//   --check: regenerate in memory and exit 1 if the committed file differs.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = join(here, '..');
const require = createRequire(join(pkgRoot, 'package.json'));
const tk = require('tokenizers');
const oracleVersion = require('tokenizers/package.json').version;

const MAX = 0x110000;
const isSurrogate = (c) => c >= 0xd800 && c <= 0xdfff;
const cps = (s) => Array.from(s, (ch) => ch.codePointAt(0));

const clean = tk.bertNormalizer({
  cleanText: true,
  handleChineseChars: false,
  stripAccents: false,
  lowercase: false,
});
const chinese = tk.bertNormalizer({
  cleanText: false,
  handleChineseChars: true,
  stripAccents: false,
  lowercase: false,
});
const nfd = tk.nfdNormalizer();
// BertNormalizer's own accent stripping (NFD, then drop `is_mark_nonspacing`); the standalone
// StripAccents normalizer drops every combining mark (Mn, Mc, Me), so it is not the one to probe.
const stripOnly = tk.bertNormalizer({
  cleanText: false,
  handleChineseChars: false,
  stripAccents: true,
  lowercase: false,
});
const lower = tk.lowercase();
const preTok = tk.bertPreTokenizer();

const control = []; // removed by clean_text (Cc/Cf/Co of unicode_categories, NUL, U+FFFD; not \t\n\r)
const cleanSpace = []; // turned into ' ' by clean_text
const splitSpace = []; // Rust char::is_whitespace (BertPreTokenizer removes it)
const punct = []; // BertPreTokenizer isolates it (ASCII punctuation + unicode_categories P*)
const cjk = []; // BertNormalizer surrounds it with spaces
const mn = []; // removed after NFD when accents are stripped (unicode_categories Mn)
const nfdMap = []; // [cp, n, ...decomposition] for non-Hangul code points whose NFD differs
const lowerMap = []; // [cp, n, ...lowercase]

for (let c = 0; c < MAX; c++) {
  if (isSurrogate(c)) continue;
  const s = String.fromCodePoint(c);
  const cl = clean.normalizeString(s);
  if (cl === '') control.push(c);
  else if (cl === ' ' && c !== 0x20) cleanSpace.push(c);
  else if (cl !== s)
    throw new Error(`unexpected clean_text result for U+${c.toString(16)}: ${JSON.stringify(cl)}`);

  const ch = chinese.normalizeString(s);
  if (ch === ` ${s} `) cjk.push(c);
  else if (ch !== s) throw new Error(`unexpected CJK result for U+${c.toString(16)}`);

  const pieces = preTok.preTokenizeString(`a${s}a`);
  if (pieces.length === 2) splitSpace.push(c);
  else if (pieces.length === 3) punct.push(c);
  else if (pieces.length !== 1) throw new Error(`unexpected pre-tokenization for U+${c.toString(16)}`);

  const d = nfd.normalizeString(s);
  if (d === s && stripOnly.normalizeString(s) === '') mn.push(c);
  if (d !== s && !(c >= 0xac00 && c <= 0xd7a3)) {
    const x = cps(d);
    nfdMap.push(c, x.length, ...x);
  }
  const l = lower.normalizeString(s);
  if (l !== s) {
    const x = cps(l);
    lowerMap.push(c, x.length, ...x);
  }
}

// Hangul syllables decompose algorithmically; check that the crate does exactly that.
for (let c = 0xac00; c <= 0xd7a3; c++) {
  const sIndex = c - 0xac00;
  const expect = [0x1100 + Math.floor(sIndex / 588), 0x1161 + Math.floor((sIndex % 588) / 28)];
  if (sIndex % 28) expect.push(0x11a7 + (sIndex % 28));
  const got = cps(nfd.normalizeString(String.fromCodePoint(c)));
  if (got.join() !== expect.join()) throw new Error(`Hangul U+${c.toString(16)} decomposes unexpectedly`);
}

// Canonical combining classes, as an order-equivalent rank: only the relative order matters for
// the canonical reordering NFD does, and the oracle shows it directly — in "a" + x + y, the crate
// swaps x and y exactly when ccc(x) > ccc(y) > 0.
const swaps = (x, y) => {
  const s = `a${String.fromCodePoint(x)}${String.fromCodePoint(y)}`;
  return nfd.normalizeString(s) !== s;
};
const ACUTE = 0x301; // ccc 230
const TILDE_OVERLAY = 0x334; // ccc 1
const marks = [];
for (let c = 0; c < MAX; c++) {
  if (isSurrogate(c)) continue;
  const s = String.fromCodePoint(c);
  if (nfd.normalizeString(s) !== s) continue; // only characters that stay themselves carry their own class
  if (c === ACUTE || c === TILDE_OVERLAY) {
    marks.push(c);
    continue;
  }
  // ccc in [1, 229] moves before the acute; ccc > 1 moves after the overlay.
  if (swaps(ACUTE, c) || swaps(c, TILDE_OVERLAY)) marks.push(c);
}
// Sort marks by class with the oracle as comparator, then give equal classes equal ranks.
const cmp = (x, y) => (swaps(x, y) ? 1 : swaps(y, x) ? -1 : 0);
marks.sort((x, y) => cmp(x, y) || x - y);
const cccRank = []; // [start, end, rank] runs
let rank = 0;
let prev = -1;
const rankOf = new Map();
for (const m of marks) {
  if (prev === -1 || cmp(prev, m) !== 0) rank++;
  rankOf.set(m, rank);
  prev = m;
}
const byCp = [...rankOf.entries()].sort((a, b) => a[0] - b[0]);
for (const [c, r] of byCp) {
  const last = cccRank.length - 3;
  if (last >= 0 && cccRank[last + 1] === c - 1 && cccRank[last + 2] === r) cccRank[last + 1] = c;
  else cccRank.push(c, c, r);
}

function ranges(list) {
  const out = [];
  for (const c of list) {
    const n = out.length;
    if (n > 0 && out[n - 1] === c - 1) out[n - 1] = c;
    else out.push(c, c);
  }
  return out;
}

function fmt(name, doc, arr, perLine = 16) {
  const lines = [];
  for (let i = 0; i < arr.length; i += perLine) lines.push(`  ${arr.slice(i, i + perLine).join(', ')},`);
  return `/** ${doc} */\nexport const ${name}: readonly number[] = [\n${lines.join('\n')}\n];\n`;
}

const body = [
  fmt('CONTROL_RANGES', 'Removed by clean_text: [start, end] inclusive pairs.', ranges(control)),
  fmt('CLEAN_WHITESPACE_RANGES', "Replaced by ' ' in clean_text: [start, end] pairs.", ranges(cleanSpace)),
  fmt(
    'SPLIT_WHITESPACE_RANGES',
    'Rust char::is_whitespace (pre-tokenizer separators): [start, end] pairs.',
    ranges(splitSpace),
  ),
  fmt('PUNCTUATION_RANGES', 'Isolated by BertPreTokenizer: [start, end] pairs.', ranges(punct)),
  fmt(
    'CJK_RANGES',
    'Surrounded by spaces when Chinese characters are split: [start, end] pairs.',
    ranges(cjk),
  ),
  fmt(
    'NONSPACING_MARK_RANGES',
    'Removed after NFD when accents are stripped (Mn): [start, end] pairs.',
    ranges(mn),
  ),
  fmt(
    'CCC_RANK_RUNS',
    'Canonical combining class as an order-equivalent rank (0 = starter): [start, end, rank] runs.',
    cccRank,
    15,
  ),
  fmt(
    'NFD_MAP',
    'Full canonical decompositions except Hangul syllables: [cp, n, ...n code points] records.',
    nfdMap,
  ),
  fmt(
    'LOWERCASE_MAP',
    'Rust char::to_lowercase where it changes the char: [cp, n, ...n code points] records.',
    lowerMap,
  ),
].join('\n');

const digest = createHash('sha256').update(body).digest('hex').slice(0, 16);
const header = `// GENERATED by packages/tokenizer/scripts/build-unicode-tables.mjs: do not edit.
// Probed from the \`tokenizers\` npm binding ${oracleVersion} (the Rust crate's BertNormalizer and
// BertPreTokenizer) over every code point. Content digest: ${digest}.

/** The oracle these tables were probed from. */
export const UNICODE_TABLES_SOURCE = 'tokenizers@${oracleVersion}';
`;
const text = `${header}\n${body}`;
const outFile = join(pkgRoot, 'src/unicode/generated/bert-tables.ts');

if (process.argv.includes('--check')) {
  // Compare without whitespace: the committed file may have been reflowed by the formatter.
  const squash = (t) => t.replace(/\s+/g, '');
  const committed = readFileSync(outFile, 'utf8');
  if (squash(committed) !== squash(text)) {
    process.stderr.write(`${outFile} is out of date; rerun without --check\n`);
    process.exit(1);
  }
  process.stdout.write('unicode tables up to date\n');
} else {
  const tmp = `${outFile}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, outFile);
  process.stdout.write(
    `wrote ${outFile}: control ${control.length}, clean-ws ${cleanSpace.length}, split-ws ${splitSpace.length}, ` +
      `punct ${punct.length}, cjk ${cjk.length}, Mn ${mn.length}, marks ${marks.length} in ${rank} classes, ` +
      `nfd ${nfdMap.length} numbers, lower ${lowerMap.length} numbers\n`,
  );
}
