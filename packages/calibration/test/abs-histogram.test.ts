// The streaming |x| histogram: power-of-two range growth gives exactly the histogram of the final range,
// whatever the order and batching of the values; zeros, NaN and Infinity.
import { describe, expect, it } from 'vitest';
import { AbsHistogram } from '../src/abs-histogram';

/** A deterministic pseudo-random stream (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Heavy-tailed values of both signs, growing in magnitude along the stream, with exact zeros. */
function values(n: number, seed: number): Float32Array {
  const next = random(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = next();
    out[i] = i % 17 === 0 ? 0 : (u < 0.5 ? -1 : 1) * (1 + i / 100) * Math.tan(next() * 1.5);
  }
  return out;
}

describe('AbsHistogram', () => {
  it('ends with the histogram of the final range, whatever the order and batch sizes', () => {
    const data = values(20_000, 7);
    const whole = new AbsHistogram(1024);
    whole.add(data, 0, data.length);
    // Reversed, in uneven batches: the range grows many times on the way in the first case, once here.
    const reversed = data.slice().reverse();
    const pieces = new AbsHistogram(1024);
    for (let at = 0, size = 1; at < reversed.length; at += size, size = ((size * 3) % 997) + 1) {
      pieces.add(reversed, at, Math.min(reversed.length, at + size));
    }
    expect(pieces.range).toBe(whole.range);
    expect(Array.from(pieces.counts)).toEqual(Array.from(whole.counts));
    expect(pieces.absMax).toBe(whole.absMax);
    expect(pieces.total).toBe(20_000);
    // The direct histogram with the final range.
    const direct = new Float64Array(1024);
    let max = 0;
    for (const x of data) {
      const a = Math.abs(x);
      max = Math.max(max, a);
      const k = Math.floor((a / whole.range) * 1024);
      direct[k] = (direct[k] as number) + 1;
    }
    expect(Array.from(whole.counts)).toEqual(Array.from(direct));
    expect(whole.absMax).toBe(max);
    // The smallest power of two strictly above the maximum.
    expect(whole.range).toBeGreaterThan(max);
    expect(whole.range / 2).toBeLessThanOrEqual(max);
    expect(Math.log2(whole.range) % 1).toBe(0);
    let squares = 0;
    for (const x of data) squares += x * x;
    expect(whole.sumSquares).toBeCloseTo(squares, 6);
  });

  it('counts zeros seen before the first nonzero value in bin 0, and a value equal to a power of two in the next range', () => {
    const h = new AbsHistogram(256);
    h.add(new Float32Array([0, 0, 0]), 0, 3);
    expect(h.range).toBe(0);
    expect(h.total).toBe(3);
    h.add(new Float32Array([-4, 0.5]), 0, 2);
    expect(h.range).toBe(8);
    expect(h.counts[0]).toBe(3);
    expect(h.counts[128]).toBe(1); // 4 / 8 · 256
    expect(h.counts[16]).toBe(1); // 0.5 / 8 · 256
    expect(h.absMax).toBe(4);
  });

  it('reports NaN and Infinity', () => {
    expect(new AbsHistogram(256).add(new Float32Array([1, Number.NaN]), 0, 2)).toBe(false);
    expect(new AbsHistogram(256).add(new Float32Array([1, Number.NEGATIVE_INFINITY]), 0, 2)).toBe(false);
    expect(new AbsHistogram(256).add(new Float32Array([1, -2]), 0, 2)).toBe(true);
  });

  it('refuses bin counts that are not powers of two from 256', () => {
    for (const bad of [100, 128, 3000, 1.5, Number.NaN])
      expect(() => new AbsHistogram(bad)).toThrow(/power of two/);
  });
});
