// Named-entity recognition on Chinese text: a CLUENER token classifier through pipeline(), the entities
// of a few sentences, then entity precision / recall / F1 on the model's dev split with the two decoders
// the head offers (argmax per word, and Viterbi with no illegal BIO transition).
//   node examples/ner/ner.mjs [--model DIR] [--rows N] [--json]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { pipeline } from 'samp';

const { values } = parseArgs({
  options: {
    model: {
      type: 'string',
      default: fileURLToPath(new URL('../../models/cluener-zh-small', import.meta.url)),
    },
    rows: { type: 'string', default: '400' },
    json: { type: 'boolean' },
  },
});
const rows = Number(values.rows);

// Short quotes of CLUENER dev sentences (research-use data; see models/README.md).
const sentences = [
  '温格的球队终于又踢了一场经典的比赛，2比1战胜曼联之后枪手仍然留在了夺冠集团之内，',
  '根据北京市消防局的说法，此次火灾主要原因是责任单位违规燃放礼花弹，燃放期间民警多次劝阻未果。',
  '本报讯（记者王吉瑛）双色球即将出台新规，一等奖最高奖金可达到1000万元。昨天，中彩中心透露，',
  '突袭黑暗雅典娜》中Riddick发现之前抓住他的赏金猎人Johns，',
];

// The model was trained (and its golden file made) at 64 tokens; config.json allows 128.
const options = { model: values.model, device: 'cpu', maxLength: 64 };

// Node 20 has no `await using`: dispose explicitly.
const ner = await pipeline('token-classification', options);
const found = await ner(sentences);
const backendName = ner.backend.name;
await ner.dispose();

const dev = gunzipSync(readFileSync(join(values.model, 'dev.jsonl.gz')))
  .toString('utf8')
  .trim()
  .split('\n')
  .slice(0, rows)
  .map((line) => JSON.parse(line));

/** Micro precision / recall / F1 over exact (type, start, end) matches, as seqeval counts them. */
function entityScores(gold, predicted) {
  let correct = 0;
  let goldCount = 0;
  let predictedCount = 0;
  gold.forEach((entities, i) => {
    const keys = new Set(entities.map((e) => `${e.type}:${e.start}:${e.end}`));
    goldCount += keys.size;
    predictedCount += predicted[i].length;
    for (const e of predicted[i]) if (keys.has(`${e.type}:${e.start}:${e.end}`)) correct++;
  });
  const precision = predictedCount === 0 ? 0 : correct / predictedCount;
  const recall = goldCount === 0 ? 0 : correct / goldCount;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

async function evaluate(decoding) {
  const p = await pipeline('token-classification', { ...options, headOptions: { decoding } });
  try {
    const started = performance.now();
    const results = await p(dev.map((r) => r.text));
    const seconds = (performance.now() - started) / 1000;
    const scores = entityScores(
      dev.map((r) => r.entities),
      results.map((r) => r.entities),
    );
    return { decoding, ...scores, textsPerSecond: dev.length / seconds };
  } finally {
    await p.dispose();
  }
}
const evaluation = [await evaluate('argmax'), await evaluate('viterbi')];

if (values.json) {
  console.log(
    JSON.stringify({
      backend: backendName,
      predictions: sentences.map((text, i) => ({ text, entities: found[i].entities })),
      rows: dev.length,
      evaluation,
    }),
  );
} else {
  console.log(`model: ${values.model} (backend: ${backendName})\n`);
  for (const [i, text] of sentences.entries()) {
    console.log(`  ${text}`);
    for (const e of found[i].entities)
      console.log(`    ${e.type.padEnd(13)} ${e.text} [${e.start}, ${e.end}) ${e.score.toFixed(2)}`);
  }
  console.log(`\nEntity scores on the first ${dev.length} CLUENER dev sentences (exact span and type):`);
  console.log('  decoding  precision  recall   F1      texts/s');
  for (const r of evaluation)
    console.log(
      `  ${r.decoding.padEnd(8)}  ${pct(r.precision)}  ${pct(r.recall)}  ${pct(r.f1)}  ${r.textsPerSecond.toFixed(0).padStart(7)}`,
    );
}

function pct(x) {
  return `${(x * 100).toFixed(1).padStart(5)}%`;
}
