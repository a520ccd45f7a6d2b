import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tnewsTables } from '../test/tables-fixture';
import { accuracyLatencyChart } from './accuracy-latency-chart';
import { recommendFromTables } from './recommend-from-tables';
import { renderReport, writeReport } from './render-report';

describe('renderReport', () => {
  const r = recommendFromTables(tnewsTables(), { maxLatencyMs: 3000 });

  it('is one self-contained page: inline SVG with a point per plan, the frontier and the choice; no scripts or fetches', () => {
    const html = renderReport(r, { model: 'tnews <demo>', createdAt: new Date('2026-11-23T00:00:00Z') });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|href=|@import|url\(/i);
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    // Grey dots: one per plan; blue dots: one per frontier point (the legend adds one of each).
    expect(svg.match(/fill="#9aa" fill-opacity/g)).toHaveLength(r.plans.length);
    expect(svg.match(/r="5" fill="#1565c0"/g)).toHaveLength(r.frontier.length);
    expect(svg).toContain(`>${r.choice.label}</text>`);
    expect(svg).toContain('max 3000 ms');
    expect(html).toContain('tnews &#60;demo&#62;');
    expect(html).toContain('2026-11-23T00:00:00.000Z');
    for (const p of r.plans) expect(html).toContain(`<td>${p === r.choice ? '▶ ' : ''}${p.label}</td>`);
  });

  it('plots every point inside the plot area, faster plans further left', () => {
    const svg = accuracyLatencyChart(r);
    const area = /<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" fill="none" stroke="#999"\/>/.exec(
      svg,
    );
    expect(area).not.toBeNull();
    const [x0, y0, w, h] = (area as RegExpExecArray).slice(1).map(Number) as [number, number, number, number];
    const dots = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="4" fill="#9aa" fill-opacity/g)].map(
      (m) => [Number(m[1]), Number(m[2])] as const,
    );
    expect(dots).toHaveLength(r.plans.length);
    for (const [x, y] of dots) {
      expect(x).toBeGreaterThanOrEqual(x0);
      expect(x).toBeLessThanOrEqual(x0 + w);
      expect(y).toBeGreaterThanOrEqual(y0);
      expect(y).toBeLessThanOrEqual(y0 + h);
    }
    const fastest = r.plans.reduce((a, b) => (b.latencyMs < a.latencyMs ? b : a));
    const slowest = r.plans.reduce((a, b) => (b.latencyMs > a.latencyMs ? b : a));
    const xOf = (p: (typeof r.plans)[number]) => dots[r.plans.indexOf(p)]?.[0] as number;
    expect(xOf(fastest)).toBeLessThan(xOf(slowest));
  });

  it('writes the page atomically', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'samp-rec-')), 'report.html');
    await writeReport(file, r);
    expect(await readFile(file, 'utf8')).toContain('<h2>Accuracy–latency</h2>');
  });
});
