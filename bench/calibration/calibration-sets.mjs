// The calibration sets of the calibration bench: N inputs from each model's TRAIN split in ../shared/data,
// as scripts/train/train_models.py defines the splits (dev sentences and pairs removed), spread evenly over
// the file so that the order of the source (often grouped by label) does not bias the sample.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const readJsonl = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));

/** `count` items spread evenly over `items` (every k-th, deterministic). */
function spread(items, count) {
  if (items.length <= count) return items;
  const out = [];
  for (let i = 0; i < count; i++) out.push(items[Math.floor((i * items.length) / count)]);
  return out;
}

/** TNEWS: the labelled TextCNN test file (part of the training pool), minus every dev sentence. */
function tnews(data, count) {
  const heldOut = new Set([
    ...readJsonl(join(data, 'clue_tnews/textcnn_dev.json')).map((r) => r.sentence),
    ...readJsonl(join(data, 'clue_tnews/fewclue_dev_few_all.json')).map((r) => r.sentence),
  ]);
  const pool = readJsonl(join(data, 'clue_tnews/textcnn_test.json'))
    .map((r) => r.sentence)
    .filter((s) => !heldOut.has(s));
  return spread([...new Set(pool)], count).map((text) => ({ text }));
}

/** SST-2: GLUE train.tsv (sentence \t label, with a header). */
function sst2(data, count) {
  const rows = readFileSync(join(data, 'glue_sst2/train.tsv'), 'utf8').split('\n').slice(1);
  const texts = rows.filter((l) => l.includes('\t')).map((l) => l.slice(0, l.lastIndexOf('\t')).trim());
  return spread(texts, count).map((text) => ({ text }));
}

/** AFQMC: the ATEC pairs minus the AFQMC dev pairs (either order). */
function afqmc(data, count) {
  const dev = readJsonl(join(data, 'clue_afqmc/dev.json'));
  const heldOut = new Set(
    dev.flatMap((d) => [`${d.sentence1}\t${d.sentence2}`, `${d.sentence2}\t${d.sentence1}`]),
  );
  const pairs = readFileSync(join(data, 'atec/atec_nlp_sim_train.csv'), 'utf8')
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((p) => p.length === 4 && !heldOut.has(`${p[1]}\t${p[2]}`))
    .map((p) => ({ text: p[1], text_pair: p[2] }));
  return spread(pairs, count);
}

/** The calibration inputs for a model of the bench: `{ text, text_pair? }` objects. */
export const CALIBRATION_SETS = { tnews, sst2, afqmc };
