import { isBaseLayer } from './candidate';
import type { EvaluatedPlan, Recommendation } from './recommendation';

/** Escapes text for HTML and SVG (element content and attribute values). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** About five round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

const decimals = (values: readonly number[]) => {
  const step = values.length > 1 ? Math.abs((values[1] as number) - (values[0] as number)) : 1;
  return Math.max(0, Math.min(4, -Math.floor(Math.log10(step || 1)) + (step < 1 ? 1 : 0)));
};

/**
 * An SVG scatter of every scored plan (latency on x, score on y), the Pareto frontier as a line, the
 * choice circled, the base plan (fp32, or fp16 on GPUs) marked by its precision, and the constraint as a dashed line; each point has a tooltip.
 * @param options `width` (default 760) and `height` (default 440) in pixels.
 */
export function accuracyLatencyChart(
  recommendation: Recommendation,
  options: { width?: number; height?: number } = {},
): string {
  const width = options.width ?? 760;
  const height = options.height ?? 440;
  const m = { left: 70, right: 24, top: 24, bottom: 56 };
  const { plans, frontier, choice, rule, baseline } = recommendation;
  const xs = plans.map((p) => p.latencyMs);
  const ys = plans.map((p) => p.score * 100);
  let constraintY: number | undefined;
  let constraintX: number | undefined;
  if (rule.kind === 'max-latency') constraintX = rule.maxLatencyMs;
  else constraintY = (baseline.score - rule.maxDrop) * 100;
  const xLo0 = Math.min(...xs, constraintX ?? Number.POSITIVE_INFINITY);
  const xHi0 = Math.max(...xs, constraintX ?? Number.NEGATIVE_INFINITY);
  const yLo0 = Math.min(...ys, constraintY ?? Number.POSITIVE_INFINITY);
  const yHi0 = Math.max(...ys, constraintY ?? Number.NEGATIVE_INFINITY);
  const xPad = (xHi0 - xLo0 || xHi0 * 0.1 || 1) * 0.06;
  const yPad = (yHi0 - yLo0 || 1) * 0.08;
  const [xLo, xHi, yLo, yHi] = [xLo0 - xPad, xHi0 + xPad, yLo0 - yPad, yHi0 + yPad];
  const px = (x: number) => m.left + ((x - xLo) / (xHi - xLo)) * (width - m.left - m.right);
  const py = (y: number) => height - m.bottom - ((y - yLo) / (yHi - yLo)) * (height - m.top - m.bottom);
  const f = (v: number) => v.toFixed(1);
  const tip = (p: EvaluatedPlan) =>
    `${p.label}: ${recommendation.metric} ${(p.score * 100).toFixed(2)}% (drop ${(p.drop * 100).toFixed(2)}), ${p.latencyMs.toFixed(2)} ms predicted${p.measuredLatencyMs === undefined ? '' : `, ${p.measuredLatencyMs.toFixed(2)} ms measured`}; ${p.families.join(', ')}`;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="accuracy–latency chart" font-family="system-ui, sans-serif" font-size="12">`,
  );
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  const xt = ticks(xLo, xHi);
  const yt = ticks(yLo, yHi);
  const xd = decimals(xt);
  const yd = decimals(yt);
  for (const t of xt) {
    parts.push(
      `<line x1="${f(px(t))}" y1="${m.top}" x2="${f(px(t))}" y2="${height - m.bottom}" stroke="#eee"/><text x="${f(px(t))}" y="${height - m.bottom + 16}" text-anchor="middle" fill="#444">${t.toFixed(xd)}</text>`,
    );
  }
  for (const t of yt) {
    parts.push(
      `<line x1="${m.left}" y1="${f(py(t))}" x2="${width - m.right}" y2="${f(py(t))}" stroke="#eee"/><text x="${m.left - 6}" y="${f(py(t) + 4)}" text-anchor="end" fill="#444">${t.toFixed(yd)}</text>`,
    );
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${width - m.left - m.right}" height="${height - m.top - m.bottom}" fill="none" stroke="#999"/>`,
  );
  parts.push(
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 14}" text-anchor="middle" fill="#222">latency per batch (ms, predicted; batch ${recommendation.batchSize} × sequence ${recommendation.sequenceLength})</text>`,
  );
  parts.push(
    `<text transform="translate(18 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#222">${escapeXml(recommendation.metric)} ${plans.every((p) => p.scoreSource === 'predicted') ? 'predicted from the tables' : 'on the choose split'} (%)</text>`,
  );
  if (constraintY !== undefined) {
    parts.push(
      `<line x1="${m.left}" y1="${f(py(constraintY))}" x2="${width - m.right}" y2="${f(py(constraintY))}" stroke="#c60" stroke-dasharray="6 4"/><text x="${width - m.right - 4}" y="${f(py(constraintY) - 5)}" text-anchor="end" fill="#c60">${rule.kind === 'default' ? 'default' : 'max'} drop ${(rule.kind === 'max-latency' ? 0 : rule.maxDrop * 100).toFixed(2)} points</text>`,
    );
  }
  if (constraintX !== undefined) {
    parts.push(
      `<line x1="${f(px(constraintX))}" y1="${m.top}" x2="${f(px(constraintX))}" y2="${height - m.bottom}" stroke="#c60" stroke-dasharray="6 4"/><text x="${f(px(constraintX) + 4)}" y="${m.top + 14}" fill="#c60">max ${constraintX} ms</text>`,
    );
  }
  for (const p of plans) {
    parts.push(
      `<circle cx="${f(px(p.latencyMs))}" cy="${f(py(p.score * 100))}" r="4" fill="#9aa" fill-opacity="0.8"><title>${escapeXml(tip(p))}</title></circle>`,
    );
  }
  parts.push(
    `<polyline fill="none" stroke="#1565c0" stroke-width="2" points="${frontier.map((p) => `${f(px(p.latencyMs))},${f(py(p.score * 100))}`).join(' ')}"/>`,
  );
  for (const p of frontier) {
    parts.push(
      `<circle cx="${f(px(p.latencyMs))}" cy="${f(py(p.score * 100))}" r="5" fill="#1565c0"><title>${escapeXml(tip(p))}</title></circle>`,
    );
  }
  const basePrecision = recommendation.basePrecision;
  const base = plans.find((p) => p.plan.every((l) => isBaseLayer(l, basePrecision)));
  if (base !== undefined) {
    parts.push(
      `<rect x="${f(px(base.latencyMs) - 6)}" y="${f(py(base.score * 100) - 6)}" width="12" height="12" fill="none" stroke="#000" stroke-width="1.5"><title>${escapeXml(`${basePrecision} — ${tip(base)}`)}</title></rect><text x="${f(px(base.latencyMs))}" y="${f(py(base.score * 100) - 10)}" text-anchor="middle" fill="#000">${basePrecision}</text>`,
    );
  }
  parts.push(
    `<circle cx="${f(px(choice.latencyMs))}" cy="${f(py(choice.score * 100))}" r="10" fill="none" stroke="#d32f2f" stroke-width="2.5"><title>${escapeXml(`choice — ${tip(choice)}`)}</title></circle><text x="${f(px(choice.latencyMs) + 13)}" y="${f(py(choice.score * 100) + 18)}" fill="#d32f2f" font-weight="bold">${escapeXml(choice.label)}</text>`,
  );
  const lx = m.left + 10;
  const ly = m.top + 10;
  parts.push(
    `<g transform="translate(${lx} ${ly})"><rect width="190" height="62" fill="#fff" fill-opacity="0.9" stroke="#ccc"/>` +
      `<circle cx="12" cy="14" r="4" fill="#9aa"/><text x="24" y="18">evaluated plan</text>` +
      `<line x1="6" y1="32" x2="18" y2="32" stroke="#1565c0" stroke-width="2"/><circle cx="12" cy="32" r="4" fill="#1565c0"/><text x="24" y="36">Pareto frontier</text>` +
      `<circle cx="12" cy="50" r="7" fill="none" stroke="#d32f2f" stroke-width="2"/><text x="24" y="54">choice</text></g>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}
