import { InvalidArgumentError } from '@samp/core';
import { describe, expect, it } from 'vitest';
import { continuesWord, decodeTags, wordIdsFromOffsets } from '../src';

/** Offsets of tokens given as substrings of `text`, searched left to right; `null` for a special token. */
function offsetsOf(text: string, pieces: (string | null)[]): [number, number][] {
  let at = 0;
  return pieces.map((p) => {
    if (p === null) return [0, 0];
    const start = text.indexOf(p, at);
    if (start < 0) throw new Error(`"${p}" not found after ${at}`);
    at = start + p.length;
    return [start, at];
  });
}

describe('decodeTags: spans in UTF-16 code units', () => {
  it('merges word pieces: continuation pieces take the first piece tag', () => {
    const text = 'Johanson visited Washington';
    // [CLS] Jo ##han ##son visited Wash ##ington [SEP]
    const offsets = offsetsOf(text, [null, 'Jo', 'han', 'son', 'visited', 'Wash', 'ington', null]);
    const tags = ['O', 'B-PER', 'O', 'I-LOC', 'O', 'B-LOC', 'O', 'O'];
    const entities = decodeTags(tags, offsets, { text });
    expect(entities).toEqual([
      { type: 'PER', start: 0, end: 8, text: 'Johanson' },
      { type: 'LOC', start: 17, end: 27, text: 'Washington' },
    ]);
    // Without aggregation every piece counts: the stray I-LOC becomes an entity of its own.
    expect(decodeTags(tags, offsets, { text, aggregation: 'none' }).map((e) => e.text)).toEqual([
      'Jo',
      'son',
      'Wash',
    ]);
  });

  it('never merges across punctuation, whitespace or CJK characters', () => {
    const text = "北京大学 don't a-b";
    const offsets = offsetsOf(text, ['北', '京', '大', '学', 'don', "'", 't', 'a', '-', 'b']);
    const words = wordIdsFromOffsets(text, offsets.flat());
    expect(Array.from(words)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(continuesWord('playing', 4, 4)).toBe(true);
    expect(continuesWord('play ing', 4, 5)).toBe(false);
  });

  it('offsets count UTF-16 code units: emoji and astral characters (surrogate pairs)', () => {
    const text = '😀 Zoë 𠮷野家 in 🇫🇷Paris';
    // "🇫🇷Paris" is one word for BERT (emoji are neither punctuation nor CJK): its pieces merge.
    const offsets = offsetsOf(text, [null, '😀', 'Zoë', '𠮷', '野', '家', 'in', '🇫🇷', 'Paris', null]);
    const tags = ['O', 'O', 'B-PER', 'B-ORG', 'I-ORG', 'I-ORG', 'O', 'B-LOC', 'O', 'O'];
    const entities = decodeTags(tags, offsets, { text });
    expect(entities.map((e) => e.text)).toEqual(['Zoë', '𠮷野家', '🇫🇷Paris']);
    for (const e of entities) expect(text.slice(e.start, e.end)).toBe(e.text);
    // 𠮷 is two code units, 🇫🇷 four: the spans are in UTF-16 code units, not code points.
    expect(entities[1]?.start).toBe(text.indexOf('𠮷'));
    expect((entities[1]?.end ?? 0) - (entities[1]?.start ?? 0)).toBe(4);
    expect(entities[2]?.start).toBe(text.indexOf('🇫🇷'));
    expect(entities[2]?.end).toBe(text.length);
    expect(text.length).toBeGreaterThan([...text].length);
  });

  it('special tokens are skipped, not read as O', () => {
    const text = 'Anna';
    const entities = decodeTags(
      ['I-PER', 'I-PER', 'I-PER'],
      [
        [0, 0],
        [0, 4],
        [0, 0],
      ],
      { text },
    );
    expect(entities).toEqual([{ type: 'PER', start: 0, end: 4, text: 'Anna' }]);
  });

  it('averages token scores over the entity', () => {
    const text = 'New York';
    const entities = decodeTags(
      ['B-LOC', 'I-LOC'],
      [
        [0, 3],
        [4, 8],
      ],
      { text, scores: [0.9, 0.5] },
    );
    expect(entities[0]?.score).toBeCloseTo(0.7, 15);
  });

  it('without text, spans only (no aggregation), and clear errors', () => {
    expect(decodeTags(['B-X', 'I-X'], Int32Array.of(0, 2, 2, 5))).toEqual([{ type: 'X', start: 0, end: 5 }]);
    expect(() => decodeTags(['B-X'], [[0, 1]], { aggregation: 'first' })).toThrow(InvalidArgumentError);
    expect(() => decodeTags(['B-X', 'O'], [[0, 1]], { text: 'ab' })).toThrow(InvalidArgumentError);
  });
});
