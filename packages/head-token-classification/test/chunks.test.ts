import { describe, expect, it } from 'vitest';
import { entityScores, getEntities, parseTag } from '../src';

const chunks = (tags: string[]) => getEntities(tags).map((c) => [c.type, c.start, c.end]);

describe('getEntities: seqeval default mode', () => {
  it("seqeval's docstring example", () => {
    // get_entities(['B-PER', 'I-PER', 'O', 'B-LOC']) == [('PER', 0, 1), ('LOC', 3, 3)] (inclusive ends)
    expect(chunks(['B-PER', 'I-PER', 'O', 'B-LOC'])).toEqual([
      ['PER', 0, 2],
      ['LOC', 3, 4],
    ]);
  });

  it('BIO repairs: a stray I- starts an entity; a type change splits', () => {
    expect(chunks(['O', 'I-PER', 'I-PER', 'O'])).toEqual([['PER', 1, 3]]);
    expect(chunks(['I-PER'])).toEqual([['PER', 0, 1]]);
    expect(chunks(['B-PER', 'I-LOC', 'I-LOC'])).toEqual([
      ['PER', 0, 1],
      ['LOC', 1, 3],
    ]);
    expect(chunks(['I-PER', 'I-LOC'])).toEqual([
      ['PER', 0, 1],
      ['LOC', 1, 2],
    ]);
    expect(chunks(['B-PER', 'B-PER', 'I-PER'])).toEqual([
      ['PER', 0, 1],
      ['PER', 1, 3],
    ]);
    expect(chunks(['O', 'O'])).toEqual([]);
    expect(chunks([])).toEqual([]);
  });

  it('BIOES, including the repairs of the non-strict mode', () => {
    expect(chunks(['B-PER', 'I-PER', 'E-PER', 'S-LOC', 'O'])).toEqual([
      ['PER', 0, 3],
      ['LOC', 3, 4],
    ]);
    // E- after E- or S- starts anew; a stray E- is a one-token entity; B- without E- still closes at O.
    expect(chunks(['B-PER', 'E-PER', 'E-PER'])).toEqual([
      ['PER', 0, 2],
      ['PER', 2, 3],
    ]);
    expect(chunks(['S-PER', 'I-PER', 'E-PER'])).toEqual([
      ['PER', 0, 1],
      ['PER', 1, 3],
    ]);
    expect(chunks(['O', 'E-PER', 'O'])).toEqual([['PER', 1, 2]]);
    expect(chunks(['B-PER', 'I-PER', 'O'])).toEqual([['PER', 0, 2]]);
    expect(chunks(['B-PER', 'S-PER'])).toEqual([
      ['PER', 0, 1],
      ['PER', 1, 2],
    ]);
    expect(chunks(['E-PER', 'I-PER'])).toEqual([
      ['PER', 0, 1],
      ['PER', 1, 2],
    ]);
  });

  it('agrees with the BIO span rule of the training script on random sequences', () => {
    // scripts/train/train_models.py spans_from_tags: O closes; B- or a type change (or no open span) opens.
    const reference = (tags: string[]) => {
      const spans: [string, number, number][] = [];
      let cur: [string, number, number] | undefined;
      tags.forEach((tag, i) => {
        if (tag === 'O') {
          if (cur) spans.push(cur);
          cur = undefined;
        } else if (tag.startsWith('B-') || cur === undefined || cur[0] !== tag.slice(2)) {
          if (cur) spans.push(cur);
          cur = [tag.slice(2), i, i + 1];
        } else cur[2] = i + 1;
      });
      if (cur) spans.push(cur);
      return spans;
    };
    const labels = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
    let seed = 99;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let n = 0; n < 500; n++) {
      const tags = Array.from({ length: 1 + (next() % 12) }, () => labels[next() % labels.length] as string);
      expect(chunks(tags)).toEqual(reference(tags));
    }
  });

  it('parses BILOU and IO labels', () => {
    expect(parseTag('L-ORG')).toEqual({ prefix: 'E', type: 'ORG' });
    expect(parseTag('U-ORG')).toEqual({ prefix: 'S', type: 'ORG' });
    expect(parseTag('B_ORG')).toEqual({ prefix: 'B', type: 'ORG' });
    expect(parseTag('PER')).toEqual({ prefix: 'I', type: 'PER' });
    expect(chunks(['PER', 'PER', 'O', 'LOC'])).toEqual([
      ['PER', 0, 2],
      ['LOC', 3, 4],
    ]);
  });
});

describe('entityScores', () => {
  it("seqeval's f1_score docstring example gives 0.5", () => {
    const toEntities = (tags: string[]) => getEntities(tags);
    const gold = [
      ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'],
      ['B-PER', 'I-PER', 'O'],
    ].map(toEntities);
    const pred = [
      ['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'],
      ['B-PER', 'I-PER', 'O'],
    ].map(toEntities);
    const s = entityScores(gold, pred);
    expect(s.f1).toBe(0.5);
    expect(s.precision).toBe(0.5);
    expect(s.recall).toBe(0.5);
    expect(s.byType.MISC?.f1).toBe(0);
    expect(s.byType.PER?.f1).toBe(1);
    expect(s.gold).toBe(2);
  });

  it('matches within the same sequence only, and handles empty sides', () => {
    const e = { type: 'PER', start: 0, end: 2 };
    expect(entityScores([[e], []], [[], [e]]).truePositives).toBe(0);
    const none = entityScores([[]], [[]]);
    expect([none.precision, none.recall, none.f1]).toEqual([0, 0, 0]);
    expect(() => entityScores([[]], [])).toThrow(RangeError);
  });
});
