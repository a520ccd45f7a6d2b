// A classification pipeline wired by hand from the packages, without the `samp` facade: the model folder
// through @samp/core, the tokenizer through @samp/tokenizer, an encoder session of the CPU backend
// (@samp/encoder-cpu-vnni) and the sequence-classification head (@samp/head-classification). It is what
// `pipeline('classification', …)` does, in about forty lines you can change: another batching rule,
// your own backend, a second head on the same hidden states.
//   node examples/custom-pipeline/custom-pipeline.mjs [--model DIR] [--rows N] [--threads N] [--json]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { loadModel } from '@samp/core';
import { createCpuBackend } from '@samp/encoder-cpu-vnni';
import { createClassificationHead } from '@samp/head-classification';
import { modelDir } from '@samp/model-tnews-zh-small';
import { fromModelDir } from '@samp/tokenizer';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: modelDir },
    rows: { type: 'string', default: '500' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
  },
});

// 1. Load the pieces in parallel: weights are memory-mapped views, nothing is copied yet.
const [model, tokenizer] = await Promise.all([loadModel(values.model), fromModelDir(values.model)]);
const backend = createCpuBackend(values.threads === undefined ? {} : { threads: Number(values.threads) });
// 2. The session packs the weights for the native kernels; the head reads its own (pooler, classifier).
const [session, head] = await Promise.all([
  backend.createSession(model, { precision: 'fp32' }),
  createClassificationHead(model),
]);
// Models without segment embeddings (RoBERTa-style, type_vocab_size 1) take no token type ids.
const withTypes = model.config.typeVocabSize > 1;

/** Texts in, one ClassificationResult per text out, in input order. */
async function classify(texts, maxLength = 64) {
  const results = new Array(texts.length);
  // 3. Sorted by length into buckets of 32, each padded only to its own longest row.
  for (const batch of tokenizer.encodeBuckets(texts, {
    maxLength,
    truncation: 'longest_first',
    batchSize: 32,
  })) {
    const input = {
      inputIds: batch.ids,
      attentionMask: batch.attentionMask,
      batchSize: batch.batchSize,
      sequenceLength: batch.seqLength,
    };
    if (withTypes) input.tokenTypeIds = batch.typeIds;
    // 4. The encoder runs off the JS thread; 5. the head turns hidden states into labels.
    const output = await session.run(input);
    const decoded = head.decode(output, { attentionMask: batch.attentionMask });
    decoded.forEach((result, row) => {
      results[batch.inputIndices[row]] = result;
    });
  }
  return results;
}

// Quotes of TNEWS dev titles (research-use data; see models/README.md).
const titles = [
  '以色列空袭之后，又一国大军进入叙利亚，俄战机起飞应敌',
  '从深圳福田口岸或者黄冈口岸过香港，一日游怎么玩呢？',
  '《拳皇》系列谁的波动是无懈可击的？',
  '黄磊接受华少快问快答，不光智商逆天，情商也不逊黄渤',
];

// Node 20 has no `await using`: dispose explicitly.
try {
  const predictions = await classify(titles);

  // Against Hugging Face: dev.jsonl.gz holds transformers' own logits for each dev title.
  const dev = gunzipSync(readFileSync(join(values.model, 'dev.jsonl.gz')))
    .toString('utf8')
    .trim()
    .split('\n')
    .slice(0, Number(values.rows))
    .map((line) => JSON.parse(line));
  const started = performance.now();
  const results = await classify(dev.map((r) => r.text));
  const seconds = (performance.now() - started) / 1000;
  const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);
  let worst = 0;
  let sameLabel = 0;
  let correct = 0;
  results.forEach((r, i) => {
    const hf = dev[i].logits;
    worst = Math.max(worst, ...r.logits.map((x, j) => Math.abs(x - hf[j])));
    if (r.labelId === argmax(hf)) sameLabel++;
    if (r.label === dev[i].label) correct++;
  });
  const evaluation = {
    rows: dev.length,
    sameLabelAsHuggingFace: sameLabel / dev.length,
    maxAbsLogitDiff: worst,
    accuracy: correct / dev.length,
    textsPerSecond: dev.length / seconds,
  };

  if (values.json) {
    const brief = ({ label, labelId, score, logits }) => ({ label, labelId, score, logits });
    console.log(
      JSON.stringify({
        backend: backend.name,
        isa: session.isa,
        threads: session.threads,
        predictions: titles.map((text, i) => ({ text, ...brief(predictions[i]) })),
        evaluation,
        dev: results.map((r, i) => ({ text: dev[i].text, ...brief(r) })),
      }),
    );
  } else {
    console.log(`model: ${values.model}`);
    console.log(`session: ${backend.name}, ${session.isa} kernels, ${session.threads} threads\n`);
    for (const [i, title] of titles.entries())
      console.log(`  ${predictions[i].label.padEnd(18)} ${predictions[i].score.toFixed(3)}  ${title}`);
    console.log(`\nOn the first ${evaluation.rows} dev titles, against Hugging Face's own logits:`);
    console.log(`  same label              ${(evaluation.sameLabelAsHuggingFace * 100).toFixed(1)}%`);
    console.log(`  largest logit diff      ${evaluation.maxAbsLogitDiff.toExponential(1)}`);
    console.log(`  accuracy (gold labels)  ${(evaluation.accuracy * 100).toFixed(1)}%`);
    console.log(`  texts per second        ${evaluation.textsPerSecond.toFixed(0)}`);
  }
} finally {
  await session.dispose();
  await head.dispose?.();
}
