#!/usr/bin/env node
// Builds test/fixtures/cases.jsonl: the inputs of the golden tests, read by scripts/make-goldens.mjs
// (Rust through the `tokenizers` npm binding) and by /scripts/golden/tokenizer_golden.py (Python).
// Small excerpts of the research datasets under /work/shared/data (a few hundred lines), plus edge cases.
//
// Usage: node packages/tokenizer/scripts/make-cases.mjs [DATA_DIR]
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const data = process.argv[2] ?? '/work/shared/data';
const lines = (f) =>
  readFileSync(join(data, f), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
const every = (arr, n, step) => arr.filter((_, i) => i % step === 0).slice(0, n);

const cases = [];
const add = (id, text, extra = {}) => cases.push({ id, text, ...extra });

// English: SST-2 dev, MRPC dev pairs, WikiText-2 paragraphs, CoNLL sentences (joined tokens).
every(lines('glue_sst2/dev.tsv').slice(1), 40, 20).forEach((l, i) => void add(`sst2-${i}`, l.split('\t')[0]));
every(lines('glue_mrpc/dev.tsv').slice(1), 15, 25).forEach((l, i) => {
  const c = l.split('\t');
  void add(`mrpc-${i}`, c[3], { text_pair: c[4] });
});
every(
  lines('wikitext2/wiki.valid.tokens').filter((l) => l.length > 200 && !l.trim().startsWith('=')),
  15,
  10,
).forEach((l, i) => void add(`wiki-${i}`, l.trim()));
{
  const sents = [];
  let cur = [];
  for (const l of readFileSync(join(data, 'conll2003/dev.txt'), 'utf8').split('\n')) {
    if (l.trim() === '') {
      if (cur.length > 0) sents.push(cur.join(' '));
      cur = [];
    } else if (!l.startsWith('-DOCSTART-')) cur.push(l.split(' ')[0]);
  }
  every(sents, 15, 97).forEach((s, i) => void add(`conll-${i}`, s));
}
// Chinese: TNEWS titles, AFQMC pairs, IFLYTEK descriptions (mixed Chinese/Latin/digits), CLUENER.
every(lines('clue_tnews/fewclue_dev_few_all.json'), 40, 25).forEach(
  (l, i) => void add(`tnews-${i}`, JSON.parse(l).sentence),
);
every(lines('clue_afqmc/dev.json'), 15, 200).forEach((l, i) => {
  const o = JSON.parse(l);
  void add(`afqmc-${i}`, o.sentence1, { text_pair: o.sentence2 });
});
every(lines('clue_iflytek/fewclue_dev_few_all.json'), 15, 80).forEach(
  (l, i) => void add(`iflytek-${i}`, JSON.parse(l).sentence),
);
every(lines('chnsenticorp/dev.txt'), 10, 100).forEach((l, i) => void add(`chnsenti-${i}`, l.split('\t')[0]));

// Truncation, pairs and overflowing windows on real text.
const long = cases.find((c) => c.id === 'wiki-0').text;
const zh = cases.find((c) => c.id === 'iflytek-0').text;
for (const [strategy, max] of [
  ['longest_first', 32],
  ['only_first', 40],
  ['only_second', 40],
  ['only_first', 64],
  ['only_second', 180],
  ['longest_first', 7],
  ['longest_first', 8],
]) {
  add(`trunc-${strategy}-${max}`, long, {
    text_pair: cases.find((c) => c.id === 'sst2-1').text,
    max_length: max,
    truncation: strategy,
  });
}
add('trunc-zh-pair', zh, {
  text_pair: cases.find((c) => c.id === 'tnews-0').text,
  max_length: 48,
  truncation: 'longest_first',
});
add('trunc-single-3', 'hello world this is long', { max_length: 3 });
add('overflow-stride-en', long, { max_length: 64, stride: 16, return_overflowing: true });
add('overflow-stride-zh', zh, { max_length: 48, stride: 8, return_overflowing: true });
add('overflow-left', long, { max_length: 40, stride: 5, return_overflowing: true, truncation_side: 'left' });
add('overflow-pair', long, {
  text_pair: 'a b c d e f g h i j k l m n o p',
  max_length: 24,
  stride: 2,
  return_overflowing: true,
});
add('overflow-pair-both', `${long} ${long}`.slice(0, 400), {
  text_pair: long.slice(0, 300),
  max_length: 30,
  stride: 4,
  return_overflowing: true,
});

// Edge cases.
const edge = {
  empty: '',
  space: '   ',
  'empty-pair': ['', ''],
  accents: 'Café naïve résumé façade Ångström Ærø Łódź Dvořák',
  'accents-combining': 'Cafe\u0301 n\u0061\u0308ive a\u0301\u0316 a\u0316\u0301 \u1ebf \u0301start',
  'reorder-marks': 'a\u0301\u0316x a\u0315\u0300\u05ae\u0300b \u0f73\u0301 q\u0344\u0345',
  'final-sigma': 'ΟΔΥΣΣΕΥΣ Σ ΣΑΣ σοφός ΌΣΟΣ',
  'turkish-i': 'İstanbul DİYARBAKIR ıi Iİ',
  'special-lower': 'ẞ ß ﬁ ﬀ ǅ ᾈ ΐ İ K Å Ω',
  fullwidth: 'ＡＢＣ１２３！？＂＃ｈｅｌｌｏ，ｗｏｒｌｄ。（全角）',
  'cjk-basic': '中华人民共和国成立于1949年。',
  'cjk-ext': '𠀀𠀁 𪜀 𫝀 𫠠 𫠝 𫡀 𬺰 𰀀 𮯠 㐀䶵 丽 豈 ⺀ ㄅ',
  'cjk-compat': '豈更車賈 丽丸乁',
  japanese: 'こんにちは、世界！カタカナ ﾊﾝｶｸ',
  korean: '안녕하세요 세계 한국어 텍스트',
  hangul_jamo: '\u1100\u1161\u11a8 각',
  emoji: 'I ❤️ NLP 😀😃 👍🏽 👨‍👩‍👧 🇫🇷 #️⃣',
  'surrogate-pairs': '𝐀𝐁𝐂 𝔸 𝟘𝟙 𐍈',
  'lone-high': 'abc\ud800def',
  'lone-low': 'abc\udc00 def',
  'lone-end': 'end\ud83d',
  'zero-width': 'zero\u200bwidth\u200cjoin\u200dx\ufeffbom\u2060word',
  controls: 'a\u0000b\u0001c\u0007d\u001be\u007ff\u0085g\u008dh',
  whitespace:
    'tab\there\nnew\r\nline\u000bvt\u000cff\u00a0nbsp\u2003em\u3000ideo\u1680ogham\u2028ls\u202fnnbsp\u205fmm',
  'replacement-char': 'bad \ufffd char \ufffd',
  'private-use': 'pua \ue000 \uf8ff \u{f0000} \u{10fffd}',
  unassigned: 'new \u{1fae8} \u{31350} \u0378 \u{2b820} \u{2ceb0} \u{323af}',
  'unicode-newer': '\u{1fa77} \u{1f6dc} \u{11f00} \u{2ebf0} \u{31350} \u0cf3 \u{1e030}',
  punctuation: '¡Hola! ¿Qué? «quote» „low“ ‹› — – … · ‧ ・ § ¶ † ‡ ※ ‽ ⁂ 〜 〰 ﹏ ＿',
  symbols: '$100 €5 £3 ¥7 ₹9 © ® ™ ° ± × ÷ ∑ √ ∞ ≠ ≤ → ⇒ ♥ ★ ^ ` ~ | < > = +',
  'long-word': `${'a'.repeat(99)} ${'b'.repeat(100)} ${'c'.repeat(101)} ${'a'.repeat(250)}`,
  'long-word-cp': `${'𝐀'.repeat(100)} ${'𝐀'.repeat(101)} ${'é'.repeat(101)}`,
  'unk-word': 'qzxqzxqzx xylophonist ⚗⚗ ʤʤʤ',
  'mask-like': '[MASK] [mask] [Mask] [CLS][SEP] a[MASK]b [UNK] [PAD]x [ MASK ] [MASK',
  'mask-like-zh': '北京是[MASK]国的首都[SEP]上海',
  digits: '1234567890 3.14159 1,000,000 2024-01-01 v1.2.3 0x1F',
  urls: 'https://www.example.com/path?q=1&x=y email@test.org #hashtag @user',
  mixed: 'BERT模型在2018年由Google发布，GLUE得分80.5%。Transformers库v5.0！',
  'mixed-2': '我爱NLP和deep learning，Python3很好用😀',
  'hindi-arabic': 'नमस्ते दुनिया مرحبا بالعالم שלום עולם',
  thai: 'สวัสดีชาวโลก ภาษาไทย',
  greek: 'Καλημέρα κόσμε ΆΈΉΊΌΎΏ',
  cyrillic: 'Привет, мир! ЁЖЗ ёжз Її Ґґ',
  vietnamese: 'Tiếng Việt có dấu: ệ ở ữ ặ ấ',
  'music-mc': 'a\u{1d165}\u{1d16e} \u{1d15e}',
  tibetan: 'བོད་ཡིག ཀྵ \u0f77 \u0f79',
  'kelvin-angstrom': 'K Å ℃ ℉ ℓ № ™ Ⅻ ⅻ',
  'roman-circled': 'Ⓐⓑ ① ⑴ ㊀ ㍿',
  newlines: '\n\n\nline\n\n',
  'only-punct': '!!!???...,,,',
  'only-controls': '\u0000\u0001\u200b\u200e',
  'pair-special': ['Is this [MASK]?', '[SEP] yes [CLS]'],
};
for (const [k, v] of Object.entries(edge)) {
  if (Array.isArray(v)) add(`edge-${k}`, v[0], { text_pair: v[1] });
  else add(`edge-${k}`, v);
}
add('edge-pair-trunc-empty', '', {
  text_pair: 'some words here to cut',
  max_length: 6,
  truncation: 'longest_first',
});
add('edge-max-exact', 'one two three', { max_length: 5 });

const out = join(here, '../test/fixtures/cases.jsonl');
const tmp = `${out}.tmp-${process.pid}`;
writeFileSync(tmp, `${cases.map((c) => JSON.stringify(c)).join('\n')}\n`);
renameSync(tmp, out);
process.stdout.write(`wrote ${cases.length} cases to ${out}\n`);
