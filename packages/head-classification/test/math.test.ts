import { describe, expect, it } from 'vitest';
import { erf, gelu, sigmoid, softmax } from '../src';

describe('math', () => {
  it('erf matches published values to 1e-15', () => {
    // Abramowitz & Stegun table 7.1 / mpmath values.
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [4.5, 0.9999999998033839],
    ];
    for (const [x, v] of table) {
      expect(Math.abs(erf(x) - v)).toBeLessThan(1e-15);
      expect(Math.abs(erf(-x) + v)).toBeLessThan(1e-15);
    }
    expect(erf(7)).toBe(1);
    expect(Number.isNaN(erf(Number.NaN))).toBe(true);
  });

  it('gelu is x·Φ(x)', () => {
    expect(gelu(0)).toBe(0);
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 15);
    expect(gelu(-1)).toBeCloseTo(-0.15865525393145707, 15);
    expect(gelu(10)).toBe(10);
  });

  it('softmax is stable and sigmoid does not overflow', () => {
    const p = softmax([1000, 1000, 999]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
    expect(p[0]).toBeCloseTo(p[1] ?? 0, 15);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(0)).toBe(0.5);
  });
});
