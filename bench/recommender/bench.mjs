// samp recommend on the trained TNEWS and SST-2 classifiers (CPU): a choose split and a held-out split from
// each dev set, under --max-accuracy-drop 1, the default rule and a latency limit. Prints a Markdown table
// and writes results.json and the report pages next to this file.
//
//   node bench/recommender/bench.mjs [--cli packages/samp/dist/cli.js] [--rows 1000] [--batch 32] [--seq 64]
//
// Each model's dev rows are split alternately (even rows choose, odd rows held-out); dev data never enters
// calibration. Each model is first calibrated (`samp calibrate`, percentile) on 500 texts that are not dev
// (TNEWS: FewCLUE unlabeled; SST-2: the first train sentences); the three rules run with that profile
// (static INT8 scales), and --max-accuracy-drop 1 once more without it (dynamic per-row scales).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const { values } = parseArgs({
  options: {
    cli: { type: 'string', default: join(repo, 'packages/samp/dist/cli.js') },
    rows: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '32' },
    seq: { type: 'string', default: '64' },
    runs: { type: 'string', default: '10' },
    models: { type: 'string', default: 'tnews,sst2' },
    // Print the tables of an earlier run's results.json without running anything.
    'table-only': { type: 'boolean' },
  },
});
const rows = Number(values.rows);
const work = mkdtempSync(join(tmpdir(), 'samp-rec-bench-'));

function jsonl(lines) {
  return `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
}

const MODELS = {
  tnews: {
    dir: join(repo, 'packages/model-tnews-zh-small/model'),
    calibration: () =>
      readFileSync(join(repo, '../shared/data/clue_tnews/fewclue_unlabeled.json'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(0, 500)
        .map((l) => ({ text: JSON.parse(l).sentence })),
    data: () =>
      readFileSync(join(repo, '../shared/data/clue_tnews/textcnn_dev.json'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l))
        .map((o) => ({ text: o.sentence, label: o.label_desc })),
  },
  sst2: {
    dir: join(repo, 'models/sst2-en-small'),
    calibration: () =>
      readFileSync(join(repo, '../shared/data/glue_sst2/train.tsv'), 'utf8')
        .split('\n')
        .slice(1, 501)
        .map((l) => ({ text: l.split('\t')[0] })),
    data: () => {
      const id2label = JSON.parse(
        readFileSync(join(repo, 'models/sst2-en-small/config.json'), 'utf8'),
      ).id2label;
      return readFileSync(join(repo, '../shared/data/glue_sst2/dev.tsv'), 'utf8')
        .split('\n')
        .slice(1)
        .filter((l) => l.trim() !== '')
        .map((l) => l.split('\t'))
        .map(([text, label]) => ({ text, label: id2label[label] }));
    },
  },
};

function recommend(name, extra, tag) {
  const model = MODELS[name];
  const evalFile = join(work, `${name}.jsonl`);
  const report = join(here, 'reports', `${name}-${tag}.html`);
  const args = [
    values.cli,
    'recommend',
    '--model',
    model.dir,
    '--eval',
    evalFile,
    '--device',
    'cpu',
    '--batch-size',
    values.batch,
    '--seq-len',
    values.seq,
    '--latency-runs',
    values.runs,
    '--latency-cache',
    join(work, 'latency-cache.json'),
    '--out',
    join(work, `${name}-${tag}.plan.json`),
    '--report',
    report,
    '--tables-out',
    join(work, `${name}-${tag}.tables.json`),
    '--json',
    ...extra,
  ];
  const started = Date.now();
  // Run from the repository root with a relative --model, so that the reports name the model portably.
  args[args.indexOf(model.dir)] = relative(repo, model.dir);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26, cwd: repo });
  if (r.status !== 0) {
    return { model: name, tag, error: r.stderr.trim(), seconds: (Date.now() - started) / 1000 };
  }
  const tables = JSON.parse(readFileSync(join(work, `${name}-${tag}.tables.json`), 'utf8'));
  return {
    ...JSON.parse(r.stdout),
    model: name,
    tag,
    fp32LatencyMs: tables.latency.fixedMs,
    seconds: (Date.now() - started) / 1000,
    report: relative(repo, report),
    tables,
  };
}

function calibrate(name) {
  const data = join(work, `${name}-calibration.jsonl`);
  writeFileSync(data, jsonl(MODELS[name].calibration()));
  const profile = join(work, `${name}-profile.json`);
  const args = ['calibrate', '--model', MODELS[name].dir, '--data', data, '--device', 'cpu'];
  const r = spawnSync(process.execPath, [values.cli, ...args, '--max-length', values.seq, '--out', profile], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`samp calibrate failed: ${r.stderr}`);
  return profile;
}

let results = [];
if (values['table-only']) {
  results = JSON.parse(readFileSync(join(here, 'results.json'), 'utf8')).results;
} else {
  for (const name of values.models.split(',')) {
    const all = MODELS[name].data().slice(0, rows);
    writeFileSync(join(work, `${name}.jsonl`), jsonl(all));
    const profile = ['--profile', calibrate(name)];
    const drop = recommend(name, ['--max-accuracy-drop', '1', ...profile], 'drop1');
    results.push(drop);
    results.push(recommend(name, [...profile], 'default'));
    // A limit 3% under the all-fp32 plan's predicted latency: it binds, and INT8 layers must earn it.
    const fp32 = drop.fp32LatencyMs ?? 100;
    results.push(recommend(name, ['--max-latency-ms', (fp32 * 0.97).toFixed(2), ...profile], 'latency'));
    results.push(recommend(name, ['--max-accuracy-drop', '1'], 'drop1-dynamic'));
    process.stderr.write(`${name} done\n`);
  }
  mkdirSync(here, { recursive: true });
  const out = { date: new Date().toISOString(), values, results };
  writeFileSync(join(here, 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
}

const pct = (x) => (x === undefined ? '—' : (x * 100).toFixed(2));
const lines = [
  '| model | rule | INT8 scales | choice | choose acc (fp32) | choose drop | held-out acc (fp32) | held-out drop | ms predicted | ms measured | error | load-adjusted error |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const r of results) {
  if (r.error !== undefined) {
    lines.push(`| ${r.model} | ${r.tag} | error: ${r.error} | | | | | | | | | |`);
    continue;
  }
  const c = r.choice;
  const err =
    c.measuredLatencyMs === undefined
      ? '—'
      : `${(((c.latencyMs - c.measuredLatencyMs) / c.measuredLatencyMs) * 100).toFixed(1)}%`;
  const rule =
    r.rule.kind === 'max-latency'
      ? `≤ ${r.rule.maxLatencyMs} ms`
      : r.rule.kind === 'default'
        ? 'default (knee ≤ 1 pt)'
        : '≤ 1 pt drop';
  const scales = r.tag.endsWith('dynamic') ? 'dynamic' : 'profile';
  // The choice's error with the round's load factor taken out (fp32 re-timed in the same round).
  const check = r.latencyChecks.find((x) => x.label === c.label);
  const adjusted =
    check?.loadAdjustedErrorPct === undefined ? '—' : `${check.loadAdjustedErrorPct.toFixed(1)}%`;
  lines.push(
    `| ${r.model} | ${rule} | ${scales} | \`${c.label}\` | ${pct(c.score)} (${pct(r.baseline.score)}) | ${pct(c.drop)} | ${pct(c.heldOutScore)} (${pct(r.baseline.heldOutScore)}) | ${pct(c.heldOutDrop)} | ${c.latencyMs.toFixed(2)} | ${c.measuredLatencyMs?.toFixed(2) ?? '—'} | ${err} | ${adjusted} |`,
  );
}
lines.push('');
for (const r of results.filter((x) => x.error === undefined && x.tag.startsWith('drop1'))) {
  lines.push(`Frontier, ${r.model}, ${r.tag} (choose split; held-out in the last column):`, '');
  lines.push(
    '| plan | acc | drop | ms predicted | ms measured | held-out acc |',
    '|---|---|---|---|---|---|',
  );
  for (const p of r.frontier) {
    lines.push(
      `| \`${p.label}\` | ${pct(p.score)} | ${pct(p.drop)} | ${p.latencyMs.toFixed(2)} | ${p.measuredLatencyMs?.toFixed(2) ?? '—'} | ${pct(p.heldOutScore)} |`,
    );
  }
  const checks = r.latencyChecks;
  if (checks.length > 0) {
    const abs = checks.map((c) => Math.abs(c.errorPct));
    const others = checks.slice(1).map((c) => Math.abs(c.loadAdjustedErrorPct));
    const adj = (others.reduce((a, b) => a + b, 0) / Math.max(1, others.length)).toFixed(1);
    lines.push(
      '',
      `Latency model checks (${checks.length} re-timed plans, fp32 first): mean |error| ${(abs.reduce((a, b) => a + b, 0) / abs.length).toFixed(1)}%, max ${Math.max(...abs).toFixed(1)}%; load-adjusted mean |error| over the others ${adj}%; orders ${JSON.stringify(r.orders)}.`,
      '',
    );
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
