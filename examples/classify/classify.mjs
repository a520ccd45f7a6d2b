// samp's main job, run by the README's first command: classify a few news titles with the embedded
// demo model, let samp choose a mixed-precision plan (`precision: 'auto'`: calibration + recommender on
// dev titles kept out of the evaluation, cached beside the model), then compare FP32, INT8 and that plan
// on the model's dev split (accuracy and speed).
//   node examples/classify/classify.mjs [--rows N] [--json]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { modelDir } from '@samp/model-tnews-zh-small';
import { pipeline } from 'samp';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000' }, json: { type: 'boolean' } },
});
const rows = Number(values.rows);

const titles = [
  '国足主场两球战胜对手，取得世预赛首胜',
  '央行宣布下调存款准备金率0.5个百分点',
  '新款电动汽车续航突破一千公里，售价公布',
  '这款手游上线首日玩家突破百万',
  '高考志愿怎么填？专家给出三点建议',
  '故宫推出冬季限定文创，门票预约火爆',
];

const log = [];
// Node 20 has no `await using`: dispose explicitly.
const classify = await pipeline('classification', { model: modelDir, logger: { info: (m) => log.push(m) } });
const predictions = await classify(titles);
const backendName = classify.backend.name;
await classify.dispose();

const devLines = gunzipSync(readFileSync(join(modelDir, 'dev.jsonl.gz')))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line));
// The last 256 titles tune the automatic plan (calibration and choice); the evaluation never sees them.
const tuning = devLines.slice(-256).map((r) => r.text);
const dev = devLines.slice(0, Math.min(rows, devLines.length - tuning.length));

let chosen;
async function measure(precision) {
  try {
    const auto = precision === 'auto' ? { calibrationData: tuning, accuracyDrop: 0.01 } : {};
    const p = await pipeline('classification', {
      model: modelDir,
      device: 'cpu',
      precision,
      maxLength: 64,
      ...auto,
    });
    if (p.autoPrecision !== undefined) chosen = p.autoPrecision;
    let results;
    let seconds;
    try {
      await p(dev.slice(0, 32).map((r) => r.text)); // warm-up
      const started = performance.now();
      results = await p(dev.map((r) => r.text));
      seconds = (performance.now() - started) / 1000;
    } finally {
      await p.dispose();
    }
    const correct = results.filter((r, i) => r.label === dev[i].label).length;
    return { precision, accuracy: correct / dev.length, textsPerSecond: dev.length / seconds };
  } catch (error) {
    return { precision, error: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}
const comparison = [await measure('fp32'), await measure('int8'), await measure('auto')];
const planText =
  chosen === undefined ? 'fp32 on every layer' : chosen.plan.layers.map((l) => l.precision).join(', ');

if (values.json) {
  console.log(
    JSON.stringify({
      backend: backendName,
      predictions: titles.map((t, i) => ({ text: t, ...predictions[i] })),
      comparison,
      plan:
        chosen === undefined
          ? null
          : { layers: chosen.plan.layers, predicted: chosen.plan.predicted, cached: chosen.cached },
    }),
  );
} else {
  console.log(`samp demo: ${modelDir}`);
  console.log(`backend: ${backendName}${log.length > 0 ? ` (${log.join('; ')})` : ''}`);
  console.log(
    `precision plan (auto): ${planText}${chosen === undefined ? '' : ` (${chosen.cached ? 'read from the cache' : 'calibrated and chosen on 256 held-apart dev titles, cached'}: ${chosen.planFile})`}\n`,
  );
  for (const [i, title] of titles.entries()) {
    const p = predictions[i];
    console.log(`  ${p.label.padEnd(18)} ${p.score.toFixed(3)}  ${title}`);
  }
  console.log(`\nFP32, INT8 (dynamic scales) and the auto plan on the first ${dev.length} TNEWS dev titles:`);
  console.log('  precision  accuracy  texts/s');
  for (const c of comparison) {
    if (c.error !== undefined) console.log(`  ${c.precision.padEnd(9)}  not available: ${c.error}`);
    else
      console.log(
        `  ${c.precision.padEnd(9)}  ${(c.accuracy * 100).toFixed(1).padStart(7)}%  ${c.textsPerSecond.toFixed(0).padStart(7)}`,
      );
  }
}
