/** What the frontier compares: a score (higher is better) and a latency (lower is better). */
export interface ScoredPoint {
  score: number;
  latencyMs: number;
}

/**
 * The Pareto frontier of `points`: those that no other point beats on both score and latency, fastest
 * first (each one more accurate than every faster one). Of equal points the first is kept.
 * @example
 * paretoFrontier([{ score: 0.9, latencyMs: 10 }, { score: 0.8, latencyMs: 12 }, { score: 0.85, latencyMs: 6 }]);
 * // [{ score: 0.85, latencyMs: 6 }, { score: 0.9, latencyMs: 10 }]
 */
export function paretoFrontier<T extends ScoredPoint>(points: readonly T[]): T[] {
  const sorted = points
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.latencyMs - b.p.latencyMs || b.p.score - a.p.score || a.i - b.i);
  const out: T[] = [];
  let best = Number.NEGATIVE_INFINITY;
  for (const { p } of sorted) {
    if (p.score > best) {
      out.push(p);
      best = p.score;
    }
  }
  return out;
}
