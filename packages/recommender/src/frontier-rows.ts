import type { Recommendation } from './recommendation';

/**
 * The frontier as text cells for a terminal table (fastest first; the choice marked `*`): plan, score,
 * drop in points, predicted and measured ms, held-out score. The CLI and scripts format them.
 * @example
 * const { header, rows } = frontierRows(recommendation);
 */
export function frontierRows(recommendation: Recommendation): { header: string[]; rows: string[][] } {
  const r = recommendation;
  const header = [
    '',
    'plan',
    `${r.metric} %`,
    'drop',
    'ms (pred)',
    'ms (meas)',
    'held-out %',
    'held-out drop',
  ];
  const rows = r.frontier.map((p) => [
    p === r.choice ? '*' : '',
    p.label,
    (p.score * 100).toFixed(2),
    (p.drop * 100).toFixed(2),
    p.latencyMs.toFixed(2),
    p.measuredLatencyMs === undefined ? '-' : p.measuredLatencyMs.toFixed(2),
    p.heldOutScore === undefined ? '-' : (p.heldOutScore * 100).toFixed(2),
    p.heldOutDrop === undefined ? '-' : (p.heldOutDrop * 100).toFixed(2),
  ]);
  return { header, rows };
}
