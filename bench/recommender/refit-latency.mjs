// Offline re-analysis of recorded latency measurements (issue 9): which latency model predicts a plan it
// was not fitted on best? No backend runs; it reads what earlier `samp recommend` runs recorded.
//
//   node bench/recommender/refit-latency.mjs [--xeon bench/recommender/xeon] [--results bench/recommender/results.json]
//                                            [--cache latency-cache.json ...] [--json]
//
// Sources:
// - `--xeon`: every `*-recommend.json` (`samp recommend --json`) in the folder, from runs made with the
//   one-round, three-plan fit (before issue 9's change; the 2026-11-23 01:32 Xeon runs). Each holds the
//   re-timed plans (`latencyChecks`: measured ms, round 1); the fit round (round 0: `----`, `FFFF`,
//   `NNNN`) is recovered from the predictions, since that fit was exactly determined (three plans, three
//   unknowns). Later runs fit more plans than unknowns: read their `--latency-cache` files instead.
// - `--results`: bench.mjs's results.json (the loaded 2-core dev box): the same per run; runs that share
//   a fitted table (one fit round) are pooled, each re-timing round numbered apart.
// - `--cache`: latency caches (`samp recommend --latency-cache`) of newer runs, whose fit plans include
//   alternating layers: one round (each plan's median of the rounds).
//
// Candidate models (least squares on milliseconds, layer-level plans only):
//   additive   fixed + per layer the cost of its precision (what @samp/recommender fits)
//   border     + a cost per precision change between consecutive layers (quantize/dequantize passes)
//   first      + a cost when layer 0 is not fp32 (its input is quantized in a pass of its own)
//   last       + a cost when the last layer is not fp32
//   round      additive × a factor per timing round (load that changed between rounds; it explains a
//              measurement after the fact but cannot price a plan in a round not yet run)
// Each measurement is predicted by the model fitted to all the others (leave-one-out); a measurement the
// others do not determine is skipped.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const { values } = parseArgs({
  options: {
    xeon: { type: 'string', default: join(here, 'xeon') },
    results: { type: 'string', default: join(here, 'results.json') },
    cache: { type: 'string', multiple: true, default: [] },
    json: { type: 'boolean' },
  },
});

const CODES = { fp32: '-', fp16: 'h', fp8: 'e', 'int8-full': 'F', 'int8-ffn': 'N' };

/** One data set: measurements `{ label, ms, round }` of one model on one device and shape. */
function fromRecommendJson(name, r, fitTable) {
  const predicted = (label) => r.latencyChecks.find((c) => c.label === label)?.predictedMs;
  const fixed = fitTable?.fixedMs ?? predicted('----');
  const per = (p, label, n) =>
    fitTable?.layers[0]?.[p] ?? (predicted(label) === undefined ? undefined : (predicted(label) - fixed) / n);
  const full = per('int8-full', 'FFFF', 4) ?? per('int8-full', '--FF', 2) ?? per('int8-full', '-FF-', 2);
  const ffn = per('int8-ffn', '-NN-', 2) ?? per('int8-ffn', 'NNNN', 4);
  const layers = r.latencyChecks[0].label.length;
  const fit = [{ label: '-'.repeat(layers), ms: fixed, round: 0 }];
  if (full !== undefined) fit.push({ label: 'F'.repeat(layers), ms: fixed + layers * full, round: 0 });
  if (ffn !== undefined) fit.push({ label: 'N'.repeat(layers), ms: fixed + layers * ffn, round: 0 });
  return { name, fit, retimed: r.latencyChecks.map((c) => ({ label: c.label, ms: c.measuredMs })) };
}

const sets = [];
const listing = (dir) => {
  try {
    return readdirSync(dir);
  } catch (cause) {
    if (cause.code === 'ENOENT') return [];
    throw cause;
  }
};
for (const file of listing(values.xeon)
  .filter((f) => f.endsWith('-recommend.json'))
  .sort()) {
  const r = JSON.parse(readFileSync(join(values.xeon, file), 'utf8'));
  const s = fromRecommendJson(`${relative(repo, join(values.xeon, file))} (${r.device})`, r);
  sets.push({ name: s.name, measurements: [...s.fit, ...s.retimed.map((m) => ({ ...m, round: 1 }))] });
}
try {
  const results = JSON.parse(readFileSync(values.results, 'utf8')).results;
  const byTable = new Map();
  for (const r of results) {
    const key = `${r.model} ${r.tables.latency.fixedMs}`;
    if (!byTable.has(key)) byTable.set(key, []);
    byTable.get(key).push(r);
  }
  for (const runs of byTable.values()) {
    const first = fromRecommendJson('', runs[0], runs[0].tables.latency);
    const measurements = [...first.fit];
    runs.forEach((r, i) => {
      for (const c of r.latencyChecks) measurements.push({ label: c.label, ms: c.measuredMs, round: i + 1 });
    });
    sets.push({
      name: `${relative(repo, values.results)} ${runs[0].model} (${runs.map((r) => r.tag).join(', ')}; ${runs[0].device})`,
      measurements,
    });
  }
} catch (cause) {
  if (cause.code !== 'ENOENT') throw cause;
}
for (const file of values.cache) {
  const cache = JSON.parse(readFileSync(file, 'utf8'));
  for (const e of cache.entries) {
    const measurements = e.measurements
      .filter((m) => m.plan.every((l) => l.gemms === undefined))
      .map((m) => ({ label: m.plan.map((l) => CODES[l.precision]).join(''), ms: m.ms, round: 0 }));
    sets.push({ name: `${file} ${e.device} ${e.variant} ${e.batchSize}×${e.sequenceLength}`, measurements });
  }
}

const changes = (label) => [...label].filter((c, i) => i > 0 && c !== label[i - 1]).length;
const count = (label, code) => [...label].filter((c) => c === code).length;
const CANDIDATES = {
  additive: (l) => [1, count(l, 'F'), count(l, 'N')],
  border: (l) => [1, count(l, 'F'), count(l, 'N'), changes(l)],
  first: (l) => [1, count(l, 'F'), count(l, 'N'), l[0] === '-' ? 0 : 1],
  last: (l) => [1, count(l, 'F'), count(l, 'N'), l[l.length - 1] === '-' ? 0 : 1],
  round: (l) => [1, count(l, 'F'), count(l, 'N')],
};

/** min ‖X·w − y‖² (weights `wt` per row) by the normal equations; undefined when singular. */
function solve(rows, y, wt = rows.map(() => 1)) {
  const n = rows[0].length;
  const a = Array.from({ length: n }, () => new Array(n + 1).fill(0));
  rows.forEach((row, r) => {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) a[i][j] += wt[r] * row[i] * row[j];
      a[i][n] += wt[r] * row[i] * y[r];
    }
  });
  const scale = Math.max(...a.map((row, i) => Math.abs(row[i])), 1e-300);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    if (Math.abs(a[p][c]) < 1e-9 * scale) return undefined;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}

const dot = (x, w) => x.reduce((s, v, i) => s + v * w[i], 0);

/** The prediction of `left` by `model` fitted to `train`, or undefined when they do not determine it. */
function predict(model, train, left) {
  const features = CANDIDATES[model];
  if (model !== 'round') {
    const w = solve(
      train.map((m) => features(m.label)),
      train.map((m) => m.ms),
    );
    return w === undefined ? undefined : dot(features(left.label), w);
  }
  // ms = factor[round] × (x·w), factor 1 for the first round present: alternate the two linear fits.
  const rounds = [...new Set(train.map((m) => m.round))];
  if (!rounds.includes(left.round)) return undefined;
  const factor = new Map(rounds.map((r) => [r, 1]));
  let w;
  for (let iteration = 0; iteration < 100; iteration++) {
    w = solve(
      train.map((m) => features(m.label).map((v) => v * factor.get(m.round))),
      train.map((m) => m.ms),
    );
    if (w === undefined) return undefined;
    for (const r of rounds.slice(1)) {
      const inRound = train.filter((m) => m.round === r);
      const p = inRound.map((m) => dot(features(m.label), w));
      factor.set(r, p.reduce((s, v, i) => s + v * inRound[i].ms, 0) / p.reduce((s, v) => s + v * v, 0));
    }
  }
  return factor.get(left.round) * dot(features(left.label), w);
}

const report = [];
for (const set of sets) {
  const repeats = {};
  for (const m of set.measurements) {
    repeats[m.label] ??= [];
    repeats[m.label].push(m.ms);
  }
  const spread = Object.entries(repeats)
    .filter(([, ms]) => ms.length > 1)
    .map(([label, ms]) => ({ label, ms, spreadPct: (Math.max(...ms) / Math.min(...ms) - 1) * 100 }));
  const models = {};
  for (const model of Object.keys(CANDIDATES)) {
    const errors = set.measurements.map((m, i) => {
      const p = predict(
        model,
        set.measurements.filter((_, k) => k !== i),
        m,
      );
      return p === undefined
        ? undefined
        : { label: m.label, round: m.round, errorPct: ((p - m.ms) / m.ms) * 100 };
    });
    const ok = errors.filter((e) => e !== undefined);
    const later = ok.filter((e) => e.round > 0);
    models[model] = {
      checked: ok.length,
      rmsPct: Math.sqrt(ok.reduce((s, e) => s + e.errorPct ** 2, 0) / Math.max(1, ok.length)),
      maxPct: Math.max(...ok.map((e) => Math.abs(e.errorPct))),
      maxRetimedPct: later.length === 0 ? undefined : Math.max(...later.map((e) => Math.abs(e.errorPct))),
      errors: ok,
    };
  }
  report.push({ name: set.name, measurements: set.measurements, repeats: spread, models });
}

if (values.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const f = (v) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(1));
  for (const r of report) {
    console.log(`\n### ${r.name}\n`);
    console.log(
      `measurements (label ms round): ${r.measurements.map((m) => `${m.label} ${m.ms.toFixed(3)} r${m.round}`).join(', ')}`,
    );
    if (r.repeats.length > 0) {
      console.log(
        `same plan, several rounds: ${r.repeats.map((x) => `${x.label} ${x.ms.map((v) => v.toFixed(2)).join(' / ')} ms (${f(x.spreadPct)}% apart)`).join('; ')}`,
      );
    }
    console.log(
      '\n| model | checked | LOO rms % | LOO max |error| % | max on re-timed plans % | LOO error per measurement % |',
    );
    console.log('|---|---:|---:|---:|---:|---|');
    for (const [name, m] of Object.entries(r.models)) {
      console.log(
        `| ${name} | ${m.checked} | ${f(m.rmsPct)} | ${f(m.maxPct)} | ${f(m.maxRetimedPct)} | ${m.errors.map((e) => `${e.label}·r${e.round} ${e.errorPct >= 0 ? '+' : ''}${f(e.errorPct)}`).join(', ')} |`,
      );
    }
  }
}
