import { describe, expect, it } from 'vitest';
import { paretoFrontier } from './frontier';

describe('paretoFrontier', () => {
  it('keeps the points no other point beats on both axes, fastest first', () => {
    const points = [
      { name: 'fp32', score: 0.5, latencyMs: 100 },
      { name: 'a', score: 0.49, latencyMs: 80 },
      { name: 'dominated', score: 0.48, latencyMs: 90 },
      { name: 'b', score: 0.45, latencyMs: 60 },
      { name: 'worse-and-slower', score: 0.44, latencyMs: 65 },
      { name: 'tie-slower', score: 0.49, latencyMs: 85 },
    ];
    expect(paretoFrontier(points).map((p) => p.name)).toEqual(['b', 'a', 'fp32']);
  });

  it('keeps one of equal points, and the more accurate of equally fast ones', () => {
    const points = [
      { name: 'x', score: 0.5, latencyMs: 10 },
      { name: 'y', score: 0.5, latencyMs: 10 },
      { name: 'z', score: 0.6, latencyMs: 10 },
    ];
    expect(paretoFrontier(points).map((p) => p.name)).toEqual(['z']);
    expect(paretoFrontier([])).toEqual([]);
  });
});
