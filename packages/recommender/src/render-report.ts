import { GEMM_NAMES, LAYER_PRECISIONS, writeFileAtomic } from '@samp/core';
import { accuracyLatencyChart, escapeXml } from './accuracy-latency-chart';
import { GEMM_CODES, LAYER_CODES } from './candidate';
import type { EvaluatedPlan, Recommendation } from './recommendation';

/** Options of {@link renderReport}. */
export interface ReportOptions {
  /** The page title (default `samp recommend`). */
  title?: string;
  /** What the model is, shown in the summary (e.g. its folder). */
  model?: string;
  /** When the report was made (default now). */
  createdAt?: Date;
}

const pct = (x: number | undefined) => (x === undefined ? '—' : (x * 100).toFixed(2));
const msf = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(2));

function table(header: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const head = header.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function ruleText(r: Recommendation): string {
  switch (r.rule.kind) {
    case 'max-accuracy-drop':
      return `fastest plan within a ${(r.rule.maxDrop * 100).toFixed(2)}-point drop`;
    case 'max-latency':
      return `most accurate plan within ${r.rule.maxLatencyMs} ms`;
    case 'default':
      return `default: knee of the frontier within a ${(r.rule.maxDrop * 100).toFixed(2)}-point drop`;
  }
}

function planRow(p: EvaluatedPlan, choice: EvaluatedPlan, frontier: ReadonlySet<EvaluatedPlan>): string[] {
  return [
    `${p === choice ? '▶ ' : ''}${p.label}`,
    pct(p.score),
    pct(p.drop),
    p.drift === undefined ? '—' : p.drift.toExponential(2),
    msf(p.latencyMs),
    msf(p.measuredLatencyMs),
    pct(p.heldOutScore),
    pct(p.heldOutDrop),
    frontier.has(p) ? 'yes' : '',
    p.families.join(', '),
  ];
}

/**
 * A self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched) of a recommendation: the
 * summary and the choice, the accuracy–latency chart of every scored plan with the frontier and the choice,
 * the frontier and all plans, the sensitivity table and layer orders, the latency model and its checks,
 * and the precisions left out.
 * @example
 * await writeFile('report.html', renderReport(recommendation, { model: 'models/sst2-en-small' }));
 */
export function renderReport(recommendation: Recommendation, options: ReportOptions = {}): string {
  const r = recommendation;
  const title = options.title ?? 'samp recommend';
  const frontierSet = new Set(r.frontier);
  const predictedOnly = r.plans.every((p) => p.scoreSource === 'predicted');
  // The baseline is labelled by its precision: fp32 on CPUs, fp16 on GPUs (drops are relative to it).
  const base = r.basePrecision;
  const summary: [string, string][] = [
    ['model', `${options.model ?? ''} (${r.tables.model.fingerprint}, ${r.numLayers} layers)`.trim()],
    ['device', r.device],
    ['base precision', `${base} (unquantized layers; drops are relative to the all-${base} plan)`],
    ['shape', `batch ${r.batchSize} × sequence ${r.sequenceLength}`],
    [
      'metric',
      `${r.metric}${predictedOnly ? ' (predicted from the measurement tables)' : ' (choose split)'}`,
    ],
    ['rule', ruleText(r)],
    ['choice', `${r.choice.label}${r.constraintMet ? '' : ' — constraint NOT met (closest plan)'}`],
    ['why', r.explanation],
    [
      `${r.metric} (choose)`,
      `${base} ${pct(r.baseline.score)}%, choice ${pct(r.choice.score)}% (drop ${pct(r.choice.drop)} points)`,
    ],
  ];
  if (r.choice.heldOutScore !== undefined) {
    summary.push([
      `${r.metric} (held-out)`,
      `${base} ${pct(r.baseline.heldOutScore)}%, choice ${pct(r.choice.heldOutScore)}% (drop ${pct(r.choice.heldOutDrop)} points)`,
    ]);
  }
  summary.push([
    'latency',
    `${msf(r.choice.latencyMs)} ms predicted${r.choice.measuredLatencyMs === undefined ? '' : `, ${msf(r.choice.measuredLatencyMs)} ms measured`}`,
  ]);
  summary.push(['plans scored', `${r.plans.length} (${r.evaluations} evaluations)`]);

  const modes = Object.keys(r.orders);
  const sensRows = r.tables.sensitivity.map((e) => {
    const label =
      e.plan.gemms === undefined ? e.plan.precision : `int8 ${Object.keys(e.plan.gemms).join(', ')}`;
    return [
      String(e.layer),
      label,
      pct(e.score),
      pct(r.baseline.score - e.score),
      e.drift === undefined ? '—' : e.drift.toExponential(2),
    ];
  });
  const lat = r.tables.latency;
  const latRows = lat.layers.map((l, i) => [String(i), ...LAYER_PRECISIONS.map((p) => msf(l[p]))]);
  const gemmRows = (lat.gemms ?? []).flatMap((l, i) =>
    GEMM_NAMES.filter((g) => l[g] !== undefined).map((g) => [
      String(i),
      g,
      msf(l[g]?.int8),
      msf(l[g]?.fp16),
      msf(l[g]?.fp8),
    ]),
  );
  const checks = r.latencyChecks;
  const fit = r.latencyFit ?? [];
  const maxErr = checks.length === 0 ? undefined : Math.max(...checks.map((c) => Math.abs(c.errorPct)));
  const meanErr =
    checks.length === 0 ? undefined : checks.reduce((s, c) => s + Math.abs(c.errorPct), 0) / checks.length;
  // The first check is the reference plan itself (its adjusted error is 0 by construction).
  const adjusted = checks.slice(1).filter((c) => c.loadAdjustedErrorPct !== undefined);
  const meanAdjusted =
    adjusted.length === 0
      ? undefined
      : adjusted.reduce((s, c) => s + Math.abs(c.loadAdjustedErrorPct as number), 0) / adjusted.length;
  const byLatency = [...r.plans].sort((a, b) => a.latencyMs - b.latencyMs);
  const header = [
    'plan',
    `${r.metric} %`,
    'drop (points)',
    'drift (KL)',
    'ms predicted',
    'ms measured',
    'held-out %',
    'held-out drop',
    'frontier',
    'proposed by',
  ];

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 3px 9px; border-bottom: 1px solid #eee; text-align: right; }
th { background: #f5f5f5; } td:first-child, th:first-child { text-align: left; font-family: ui-monospace, monospace; }
table.kv td:first-child { font-family: inherit; color: #555; } table.kv td { text-align: left; }
.note { color: #555; font-size: 13px; } code { font-family: ui-monospace, monospace; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
${table(['', ''], summary, 'kv')}
<h2>Accuracy–latency</h2>
${accuracyLatencyChart(r)}
<p class="note">Plan codes, one per layer: ${Object.entries(LAYER_CODES)
    .map(([p, c]) => `<code>${escapeXml(c)}</code> ${p}`)
    .join(', ')}; brackets list GEMMs run in int8 on an otherwise ${base} layer (${Object.entries(GEMM_CODES)
    .map(([g, c]) => `<code>${c}</code> ${g}`)
    .join(', ')}).</p>
<h2>Frontier</h2>
${table(
  header,
  r.frontier.map((p) => planRow(p, r.choice, frontierSet)),
)}
<h2>Every plan scored (fastest first)</h2>
${table(
  header,
  byLatency.map((p) => planRow(p, r.choice, frontierSet)),
)}
<h2>Sensitivity (one layer quantized, the others ${base})</h2>
<p class="note">Layers ordered by ${r.sensitivityMeasure === 'drift' ? `output drift (KL divergence from ${base})` : 'score drop'}, least sensitive first: ${modes
    .map((m) => `${escapeXml(m)} ${(r.orders[m] ?? []).join(' → ')}`)
    .join('; ')}.</p>
${table(['layer', 'plan', `${r.metric} %`, 'drop (points)', 'drift (KL)'], sensRows)}
<h2>Latency model (${escapeXml(lat.device)}, batch ${lat.batchSize} × sequence ${lat.sequenceLength})</h2>
<p class="note">latency = ${msf(lat.fixedMs)} ms fixed + per layer the cost of its precision${lat.estimatedFrom === undefined ? '' : `; estimated from tables at ${lat.estimatedFrom.map((s) => `${s.batchSize}×${s.sequenceLength}`).join(', ')}`}. Fitted tables keep the ${base} layers' time in the fixed part (plan variation cannot separate them), so ${base} costs 0 and the other entries are the change per layer.</p>
${table(['layer', ...LAYER_PRECISIONS], latRows)}
${gemmRows.length === 0 ? '' : table(['layer', 'GEMM', 'int8', 'fp16', 'fp8'], gemmRows)}
${
  checks.length === 0
    ? '<p class="note">No plan was re-timed, so the latency model was not checked.</p>'
    : `<p class="note">Prediction error on plans re-timed after the search (interleaved rounds, each plan's median): mean |error| ${meanErr?.toFixed(1)}%, max ${maxErr?.toFixed(1)}%${
        meanAdjusted === undefined
          ? ''
          : `; with the round's load factor taken out (predictions scaled by ${base}'s measured / predicted time in that round), mean |error| ${meanAdjusted.toFixed(1)}% over the other plans`
      }.</p>
${table(
  ['plan', 'predicted ms', 'measured ms', 'error %', 'load-adjusted error %'],
  checks.map((c) => [
    c.label,
    msf(c.predictedMs),
    msf(c.measuredMs),
    c.errorPct.toFixed(1),
    c.loadAdjustedErrorPct === undefined ? '—' : c.loadAdjustedErrorPct.toFixed(1),
  ]),
)}`
}
${
  fit.length === 0
    ? ''
    : `<p class="note">Leave-one-out on the plans the model was fitted on (each priced by a table fitted to the others; ${base}, each mode on every layer and on alternating layers): max |error| ${Math.max(...fit.map((c) => Math.abs(c.errorPct))).toFixed(1)}%. Errors well above the re-timing noise (the uniform plans priced from the alternating ones, which change precision between every pair of layers) would mean a cost at precision changes that the additive model misses.</p>
${table(
  ['fitted plan', 'predicted ms (left out)', 'measured ms', 'error %'],
  fit.map((c) => [c.label, msf(c.predictedMs), msf(c.measuredMs), c.errorPct.toFixed(1)]),
)}`
}
<h2>Precisions left out</h2>
${
  r.excluded.length === 0
    ? '<p class="note">None.</p>'
    : table(
        ['precision', 'reason'],
        r.excluded.map((e) => [e.precision, e.reason]),
      )
}
<p class="note">Made ${escapeXml((options.createdAt ?? new Date()).toISOString())} by @samp/recommender.</p>
</body>
</html>
`;
}

/** Writes {@link renderReport}'s page to `file` atomically (temp file, then rename). */
export async function writeReport(
  file: string,
  recommendation: Recommendation,
  options: ReportOptions = {},
): Promise<void> {
  await writeFileAtomic(file, renderReport(recommendation, options));
}
