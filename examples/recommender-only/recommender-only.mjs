// @samp/recommender on its own, no model and no backend: a mixed-precision plan chosen from a measurement
// table (per-layer sensitivity per INT8 mode and per-layer latency per precision), as `samp recommend
// --tables-out` writes it. The committed table was measured on the TNEWS classifier on a 2-core CPU.
//   node examples/recommender-only/recommender-only.mjs [--tables FILE] [--max-accuracy-drop POINTS |
//     --max-latency-ms MS] [--batch-size B] [--seq-len S] [--json]
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  describeCandidate,
  frontierRows,
  readMeasurementTables,
  recommendFromTables,
  toPrecisionPlan,
} from '@samp/recommender';

const { values } = parseArgs({
  options: {
    tables: { type: 'string', default: fileURLToPath(new URL('tnews-cpu-tables.json', import.meta.url)) },
    'max-accuracy-drop': { type: 'string' },
    'max-latency-ms': { type: 'string' },
    'batch-size': { type: 'string' },
    'seq-len': { type: 'string' },
    json: { type: 'boolean' },
  },
});

const tables = await readMeasurementTables(values.tables);
const options = {};
// Points on the command line (1 = one percentage point), a fraction in the API.
if (values['max-accuracy-drop'] !== undefined)
  options.maxAccuracyDrop = Number(values['max-accuracy-drop']) / 100;
if (values['max-latency-ms'] !== undefined) options.maxLatencyMs = Number(values['max-latency-ms']);
// Another batch shape: the table's latencies are scaled to it (work per token).
if (values['batch-size'] !== undefined) options.batchSize = Number(values['batch-size']);
if (values['seq-len'] !== undefined) options.sequenceLength = Number(values['seq-len']);

let recommendation;
try {
  recommendation = recommendFromTables(tables, options);
} catch (error) {
  process.stderr.write(`recommender-only: ${error.message}${error.code ? ` [${error.code}]` : ''}\n`);
  process.exit(1);
}
const { choice, frontier } = recommendation;
if (!recommendation.constraintMet) {
  process.stderr.write(`recommender-only: no plan meets the constraint: ${recommendation.explanation}\n`);
  process.exitCode = 1;
}
const plan = toPrecisionPlan(recommendation, { createdAt: new Date(0) });

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({
      rule: recommendation.rule,
      constraintMet: recommendation.constraintMet,
      explanation: recommendation.explanation,
      baseline: recommendation.baseline,
      orders: recommendation.orders,
      plans: recommendation.plans.length,
      choice: { label: choice.label, score: choice.score, drop: choice.drop, latencyMs: choice.latencyMs },
      frontier: frontier.map((p) => ({
        label: p.label,
        score: p.score,
        drop: p.drop,
        latencyMs: p.latencyMs,
      })),
      plan,
    })}\n`,
  );
} else {
  const { header, rows } = frontierRows(recommendation);
  // The held-out columns stay empty: tables alone have no held-out evaluation.
  const shown = [header.slice(0, 5), ...rows.map((r) => r.slice(0, 5))];
  const widths = shown[0].map((_, i) => Math.max(...shown.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(
    `model      ${tables.model.fingerprint} (${tables.model.numHiddenLayers} layers), ${tables.latency.device}`,
  );
  console.log(`shape      batch ${recommendation.batchSize} × sequence ${recommendation.sequenceLength}`);
  // plans[0] is always all-fp32, the baseline of every drop.
  console.log(
    `fp32       ${tables.metric} ${(tables.baseline.score * 100).toFixed(2)}%, ${recommendation.plans[0].latencyMs.toFixed(2)} ms`,
  );
  console.log(
    `choice     ${describeCandidate(choice.plan)}  (${choice.plan.map((l) => l.precision).join(', ')})`,
  );
  console.log(`           ${recommendation.explanation}`);
  console.log(
    `predicted  ${tables.metric} ${(choice.score * 100).toFixed(2)}% (drop ${(choice.drop * 100).toFixed(2)} points), ${choice.latencyMs.toFixed(2)} ms`,
  );
  console.log(`\nfrontier (${recommendation.plans.length} plans scored from the tables; * = choice):`);
  for (const r of shown) console.log(line(r));
  console.log('\nPrecisionPlan:');
  console.log(JSON.stringify({ ...plan, frontier: `[${plan.frontier.length} points]` }, null, 2));
}
