import { describe, expect, it } from 'vitest';
import { constrainedDecode, getEntities, isLegalPath, transitionRules, viterbi } from '../src';

function rng(seed: number) {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Random per-position log-probabilities, `steps × L`. */
function emissions(steps: number, L: number, next: () => number, sharpness = 3): Float64Array {
  const e = new Float64Array(steps * L);
  for (let t = 0; t < steps; t++) {
    let z = 0;
    for (let j = 0; j < L; j++) {
      e[t * L + j] = sharpness * (next() - 0.5);
      z += Math.exp(e[t * L + j] as number);
    }
    for (let j = 0; j < L; j++) e[t * L + j] = (e[t * L + j] as number) - Math.log(z);
  }
  return e;
}

const argmaxPath = (e: Float64Array, steps: number, L: number) =>
  Array.from({ length: steps }, (_, t) => {
    let a = 0;
    for (let j = 1; j < L; j++) if ((e[t * L + j] as number) > (e[t * L + a] as number)) a = j;
    return a;
  });

const SCHEMES = {
  BIO: ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'],
  BIOES: ['O', 'B-PER', 'I-PER', 'E-PER', 'S-PER', 'B-LOC', 'I-LOC', 'E-LOC', 'S-LOC'],
} as const;

describe('transition rules', () => {
  it('BIO forbids O→I-x, B-x→I-y, I-x→I-y and a leading I-x', () => {
    const r = transitionRules(SCHEMES.BIO, 'BIO');
    const ok = (a: string, b: string) =>
      r.allowed[SCHEMES.BIO.indexOf(a as never) * 5 + SCHEMES.BIO.indexOf(b as never)];
    expect(ok('O', 'I-PER')).toBe(0);
    expect(ok('B-PER', 'I-LOC')).toBe(0);
    expect(ok('I-PER', 'I-LOC')).toBe(0);
    expect(ok('B-PER', 'I-PER')).toBe(1);
    expect(ok('I-PER', 'I-PER')).toBe(1);
    expect(ok('I-PER', 'B-LOC')).toBe(1);
    expect(r.start[2]).toBe(0);
  });

  it('BIOES also forbids B-x→O, O→E-x, E-x→I-x and ending inside an entity', () => {
    const L = SCHEMES.BIOES;
    const r = transitionRules(L, 'IOBES');
    const ok = (a: string, b: string) => r.allowed[L.indexOf(a as never) * L.length + L.indexOf(b as never)];
    expect(ok('B-PER', 'O')).toBe(0);
    expect(ok('O', 'E-PER')).toBe(0);
    expect(ok('E-PER', 'I-PER')).toBe(0);
    expect(ok('B-PER', 'E-LOC')).toBe(0);
    expect(ok('B-PER', 'E-PER')).toBe(1);
    expect(ok('S-PER', 'B-LOC')).toBe(1);
    expect(r.end[L.indexOf('I-PER')]).toBe(0);
    expect(r.end[L.indexOf('S-LOC')]).toBe(1);
  });
});

describe('constrained Viterbi', () => {
  for (const [scheme, labels] of Object.entries(SCHEMES)) {
    const L = labels.length;
    const rules = transitionRules(labels, scheme as 'BIO' | 'BIOES');

    it(`${scheme}: never emits an illegal transition, and every decoded entity is well formed`, () => {
      const next = rng(scheme.length * 31 + 1);
      for (let n = 0; n < 300; n++) {
        const steps = 1 + Math.floor(next() * 15);
        const e = emissions(steps, L, next);
        const path = constrainedDecode(e, steps, rules);
        expect(isLegalPath(path, rules)).toBe(true);
        const tags = path.map((i) => labels[i] as string);
        // A legal path needs no repair: B-/S- (never a stray I-/E-) opens each entity.
        for (const c of getEntities(tags)) expect(['B', 'S']).toContain((tags[c.start] as string)[0]);
      }
    });

    it(`${scheme}: agrees with argmax whenever argmax is legal (plain Viterbi, no shortcut)`, () => {
      const next = rng(7 + L);
      let legal = 0;
      for (let n = 0; n < 1000; n++) {
        const steps = 1 + Math.floor(next() * 6);
        const e = emissions(steps, L, next, 8);
        const greedy = argmaxPath(e, steps, L);
        if (!isLegalPath(greedy, rules)) continue;
        legal++;
        expect(viterbi(e, steps, rules)).toEqual(greedy);
      }
      expect(legal).toBeGreaterThan(50);
    });

    it(`${scheme}: finds the best legal path (brute force on short sequences)`, () => {
      const next = rng(1234 + L);
      for (let n = 0; n < 60; n++) {
        const steps = 1 + Math.floor(next() * 4);
        const e = emissions(steps, L, next);
        let best = Number.NEGATIVE_INFINITY;
        const path = new Array<number>(steps).fill(0);
        const walk = (t: number, score: number) => {
          if (t === steps) {
            if (isLegalPath(path, rules)) best = Math.max(best, score);
            return;
          }
          for (let j = 0; j < L; j++) {
            path[t] = j;
            walk(t + 1, score + (e[t * L + j] as number));
          }
        };
        walk(0, 0);
        const found = viterbi(e, steps, rules) ?? [];
        const score = found.reduce((s, j, t) => s + (e[t * L + j] as number), 0);
        expect(score).toBeCloseTo(best, 12);
      }
    });
  }

  it('returns undefined when no legal path exists, and constrainedDecode falls back to argmax', () => {
    const rules = transitionRules(['B-X', 'I-X', 'E-X'], 'BIOES');
    // Length 1: B-X cannot end, I-X/E-X cannot start.
    const e = Float64Array.of(-0.1, -3, -3);
    expect(viterbi(e, 1, rules)).toBeUndefined();
    expect(constrainedDecode(e, 1, rules)).toEqual([0]);
  });
});
