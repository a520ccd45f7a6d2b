// Which word pieces belong to the same word, recovered from offsets and the text. BERT's pre-tokenizer
// splits at whitespace, at punctuation and around every CJK ideograph; WordPiece then cuts each word into
// pieces that touch each other. So a piece continues the previous piece's word exactly when the two touch
// (`start === previous end`) and neither character at the seam is whitespace, punctuation or CJK.

/** BERT's `_is_chinese_char` ranges (CJK Unified Ideographs and extensions, compatibility ideographs). */
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

const PUNCTUATION = /^\p{P}$/u;
const WHITESPACE = /^\s$/u;

/** BERT's `_is_punctuation`: every non-alphanumeric ASCII symbol, and Unicode category P*. */
function isPunctuation(cp: number): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return PUNCTUATION.test(String.fromCodePoint(cp));
}

/** True when a word boundary always falls before and after this character. */
function splitsWords(cp: number): boolean {
  return isCjk(cp) || isPunctuation(cp) || WHITESPACE.test(String.fromCodePoint(cp));
}

/** The code point that ends just before UTF-16 index `at` (a surrogate pair counts as one). */
function codePointBefore(text: string, at: number): number {
  const low = text.charCodeAt(at - 1);
  if (low >= 0xdc00 && low <= 0xdfff && at >= 2) {
    const high = text.charCodeAt(at - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(at - 2) as number;
  }
  return low;
}

/**
 * Whether a piece at `[start, …)` continues the word of a piece ending at `previousEnd`, in `text`.
 * @example
 * continuesWord('playing', 4, 4); // true: "play" + "##ing"
 * continuesWord('中国', 1, 1); // false: every CJK character is its own word
 */
export function continuesWord(text: string, previousEnd: number, start: number): boolean {
  if (start !== previousEnd || start <= 0 || start >= text.length) return false;
  return !splitsWords(codePointBefore(text, start)) && !splitsWords(text.codePointAt(start) as number);
}

/**
 * Word index of each token, from flat `[start, end)` offset pairs into `text`: tokens with an empty span
 * (special tokens, padding) get -1; a token continues the previous real token's word when
 * {@link continuesWord} says so.
 * @param tokens how many tokens to read (default: every pair of `offsets`).
 */
export function wordIdsFromOffsets(
  text: string,
  offsets: ArrayLike<number>,
  tokens = offsets.length >> 1,
): Int32Array {
  const ids = new Int32Array(tokens).fill(-1);
  let word = -1;
  let previousEnd = -1;
  for (let t = 0; t < tokens; t++) {
    const start = offsets[2 * t] as number;
    const end = offsets[2 * t + 1] as number;
    if (end <= start) continue;
    if (word < 0 || !continuesWord(text, previousEnd, start)) word++;
    ids[t] = word;
    previousEnd = end;
  }
  return ids;
}
