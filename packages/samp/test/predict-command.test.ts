// `samp predict` end to end on the trained models against Hugging Face's own dev predictions
// (dev.jsonl.gz): the same argmax and logits within 1e-4 for TNEWS, SST-2 and AFQMC pairs (the first 300
// dev lines each; bench/pipeline runs the full dev sets), and CLUENER's entity F1 over the whole dev set
// equal to that of HF's tags decoded the same way. Then the bad inputs: one stderr line, exit 1 (2 for
// usage), no output file left behind.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decodeTags, entityScores } from '@samp/head-token-classification';
import { fromModelDir } from '@samp/tokenizer';
import { describe, expect, it } from 'vitest';
import { commands } from '../src/cli/commands';
import { runCli } from '../src/cli/run-cli';
import { argmax, type DevLine, maxAbsDiff, readDev, TRAINED, writeJsonl } from './support/dev-sets';
import { memoryIo } from './support/memory-io';

const SAMPLE = 300;

interface Prediction {
  label: string;
  label_id: number;
  score: number;
  logits: number[];
}

async function predict(args: string[], stdin = '') {
  const io = memoryIo(stdin);
  const code = await runCli(['predict', ...args], commands, io);
  return { code, out: io.out(), err: io.err() };
}

const parse = <T>(out: string): T[] =>
  out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);

/** Predicts `lines` with the model and compares each line with HF's logits. */
async function checkAgainstGolden(dir: string, lines: DevLine[]) {
  const input = await writeJsonl(lines.map(({ text, text_pair }) => ({ text, text_pair })));
  const output = join(dirname(input), 'out.jsonl');
  const r = await predict(['--model', dir, '--device', 'cpu', '--input', input, '--output', output]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toBe('');
  expect((await readdir(dirname(input))).sort()).toEqual(['in.jsonl', 'out.jsonl']);
  const predictions = parse<Prediction>(await readFile(output, 'utf8'));
  expect(predictions).toHaveLength(lines.length);
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as {
    id2label: Record<string, string>;
  };
  let same = 0;
  let worst = 0;
  predictions.forEach((p, i) => {
    const golden = lines[i]?.logits as number[];
    if (p.label_id === argmax(golden)) same++;
    worst = Math.max(worst, maxAbsDiff(p.logits, golden));
    expect(p.label).toBe(config.id2label[String(p.label_id)]);
    expect(p.label_id).toBe(argmax(p.logits));
    const exps = p.logits.map((x) => Math.exp(x));
    expect(p.score).toBeCloseTo(Math.max(...exps) / exps.reduce((a, b) => a + b, 0), 9);
  });
  expect(same / lines.length).toBeGreaterThanOrEqual(0.999);
  expect(worst).toBeLessThanOrEqual(1e-4);
}

describe('samp predict on the trained models', () => {
  it('TNEWS (Chinese, 15 classes): the same argmax as HF and logits within 1e-4', async () => {
    await checkAgainstGolden(TRAINED.tnews, readDev(TRAINED.tnews, SAMPLE));
  });

  it('SST-2 (English, lowercased): the same argmax as HF and logits within 1e-4', async () => {
    await checkAgainstGolden(TRAINED.sst2, readDev(TRAINED.sst2, SAMPLE));
  });

  it('AFQMC sentence pairs: the same argmax as HF and logits within 1e-4', async () => {
    const lines = readDev(TRAINED.afqmc, SAMPLE);
    expect(lines.every((l) => typeof l.text_pair === 'string')).toBe(true);
    await checkAgainstGolden(TRAINED.afqmc, lines);
    // --task text-matching reads the same classifier as a cross-encoder.
    const input = await writeJsonl(lines.slice(0, 8).map(({ text, text_pair }) => ({ text, text_pair })));
    const r = await predict([
      '--model',
      TRAINED.afqmc,
      '--device',
      'cpu',
      '--task',
      'text-matching',
      '--input',
      input,
    ]);
    expect(r.code).toBe(0);
    parse<Prediction>(r.out).forEach((p, i) => {
      expect(maxAbsDiff(p.logits, lines[i]?.logits as number[])).toBeLessThanOrEqual(1e-4);
    });
  });

  it("CLUENER: entity F1 over the dev set equals that of HF's tags decoded the same way", async () => {
    const lines = readDev(TRAINED.cluener);
    const r = await predict(
      ['--model', TRAINED.cluener, '--device', 'cpu'],
      lines.map((l) => JSON.stringify({ text: l.text })).join('\n'),
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const predictions = parse<{
      entities: { type: string; start: number; end: number; text: string; score: number }[];
    }>(r.out);
    expect(predictions).toHaveLength(lines.length);
    // HF's argmax tags per token, placed with samp's offsets (its ids equal HF's, checked below).
    const tokenizer = await fromModelDir(TRAINED.cluener);
    const config = JSON.parse(await readFile(join(TRAINED.cluener, 'config.json'), 'utf8')) as {
      id2label: Record<string, string>;
    };
    let sameIds = 0;
    const hf = lines.map((l) => {
      const enc = tokenizer.encode(l.text, undefined, { maxLength: 128, truncation: 'longest_first' });
      if (Array.from(enc.ids).join() === l.input_ids.join()) sameIds++;
      const tags = (l.predicted_tags ?? []).map((t) => config.id2label[String(t)] as string);
      return decodeTags(tags, enc.offsets.subarray(0, 2 * tags.length), { text: l.text });
    });
    expect(sameIds).toBe(lines.length);
    const gold = lines.map((l) => l.entities ?? []);
    const ours = entityScores(
      gold,
      predictions.map((p) => p.entities),
    );
    const theirs = entityScores(gold, hf);
    expect(Math.abs(ours.f1 - theirs.f1)).toBeLessThanOrEqual(0.002);
    expect(ours.f1).toBeGreaterThan(0.4);
    for (const [i, p] of predictions.entries())
      for (const e of p.entities) expect(lines[i]?.text.slice(e.start, e.end), `line ${i + 1}`).toBe(e.text);
  });
});

describe('samp predict on bad input', () => {
  const oneLine = (err: string) => expect(err.trim().split('\n')).toHaveLength(1);

  it('names the file and line of malformed JSON or a missing field, and leaves no output file', async () => {
    const input = await writeJsonl(['{"text":"体育新闻"}', '{"text": oops}']);
    const output = join(dirname(input), 'out.jsonl');
    const r = await predict([
      '--model',
      TRAINED.tnews,
      '--device',
      'cpu',
      '--input',
      input,
      '--output',
      output,
    ]);
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err).toMatch(/^samp predict: .*in\.jsonl line 2: malformed JSON/);
    expect(await readdir(dirname(input))).toEqual(['in.jsonl']);
    const missing = await predict(
      ['--model', TRAINED.tnews, '--device', 'cpu'],
      '{"text":"a"}\n{"txt":"b"}\n',
    );
    expect(missing.code).toBe(1);
    oneLine(missing.err);
    expect(missing.err).toMatch(/^samp predict: <stdin> line 2: missing field "text"/);
  });

  it('refuses a text pair for token classification, naming the line', async () => {
    const r = await predict(
      ['--model', TRAINED.cluener, '--device', 'cpu'],
      '{"text":"a","text_pair":"b"}\n',
    );
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err).toMatch(/<stdin> line 1: field "text_pair" is not allowed: token classification/);
  });

  it('refuses a model without a head for the task, naming the task and its architectures', async () => {
    const r = await predict(
      ['--model', TRAINED.sst2, '--device', 'cpu', '--task', 'token-classification'],
      '{"text":"a"}\n',
    );
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err).toMatch(
      /architectures: BertForSequenceClassification\) cannot serve the task "token-classification".*\[SAMP_TASK_UNSUPPORTED\]/,
    );
  });

  it('exits 2 on usage errors', async () => {
    for (const args of [
      ['--model', TRAINED.sst2, '--bogus'],
      ['--device', 'cpu'],
      ['--model', TRAINED.sst2, '--device', 'tpu'],
      ['--model', TRAINED.sst2, '--task', 'summarization'],
      ['--model', TRAINED.sst2, '--batch-size', '0'],
    ]) {
      const r = await predict(args);
      expect(r.code, args.join(' ')).toBe(2);
      oneLine(r.err);
    }
    expect((await predict(['--model', TRAINED.sst2, '--bogus'])).err).toMatch(/^samp predict: .*bogus/);
  });

  it('says when the input file or the model folder cannot be read', async () => {
    const r = await predict(['--model', TRAINED.sst2, '--input', '/nonexistent/in.jsonl']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--input: cannot read \/nonexistent\/in\.jsonl/);
    const m = await predict(['--model', '/nonexistent/model', '--device', 'cpu'], '{"text":"a"}\n');
    expect(m.code).toBe(1);
    expect(m.err).toMatch(/\/nonexistent\/model: the model folder does not exist/);
  });
});
