// `samp eval` on the trained models: accuracy equal to that of Hugging Face's golden logits, entity
// P/R/F1 equal to scoring `samp predict`'s entities, the --json object, the TTY-only table, and bad data
// (missing or unknown labels, malformed entities): one stderr line naming file, line and field; exit 1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../src/cli/commands';
import { runCli } from '../src/cli/run-cli';
import { argmax, readDev, TRAINED, writeJsonl } from './support/dev-sets';
import { memoryIo } from './support/memory-io';

async function evaluate(args: string[], tty = false) {
  const io = { ...memoryIo(), stderrIsTty: tty };
  const code = await runCli(['eval', ...args], commands, io);
  return { code, out: io.out(), err: io.err() };
}

const oneLine = (err: string) => expect(err.trim().split('\n')).toHaveLength(1);

describe('samp eval', () => {
  it("TNEWS: the accuracy of HF's golden logits, the count and the throughput (--json)", async () => {
    const lines = readDev(TRAINED.tnews, 300);
    const ids = Object.fromEntries(
      Object.entries(
        JSON.parse(readFileSync(join(TRAINED.tnews, 'config.json'), 'utf8')).id2label as Record<
          string,
          string
        >,
      ).map(([id, name]) => [name, Number(id)]),
    );
    const golden =
      lines.filter((l) => argmax(l.logits as number[]) === ids[l.label as string]).length / lines.length;
    // Labels by name, and a few by id.
    const data = await writeJsonl(
      lines.map((l, i) => ({ text: l.text, label: i % 7 === 0 ? ids[l.label as string] : l.label })),
    );
    const r = await evaluate(['--model', TRAINED.tnews, '--device', 'cpu', '--data', data, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ task: 'classification', count: 300, backend: 'cpu', device: 'cpu' });
    expect(report.accuracy).toBe(golden);
    expect(report.throughput).toBeGreaterThan(0);
    expect(report.throughput).toBeCloseTo(300 / report.seconds, 6);
    const perLabel = Object.values(report.byLabel as Record<string, { gold: number; correct: number }>);
    expect(perLabel.reduce((s, x) => s + x.gold, 0)).toBe(300);
    expect(perLabel.reduce((s, x) => s + x.correct, 0)).toBe(report.correct);
  });

  it('AFQMC pairs: text summary on stdout, the per-label table on stderr only for a terminal', async () => {
    const lines = readDev(TRAINED.afqmc, 64);
    const golden =
      lines.filter((l) => argmax(l.logits as number[]) === (l.label === 'same' ? 1 : 0)).length /
      lines.length;
    const data = await writeJsonl(lines.map(({ text, text_pair, label }) => ({ text, text_pair, label })));
    const plain = await evaluate(['--model', TRAINED.afqmc, '--device', 'cpu', '--data', data]);
    expect(plain.code).toBe(0);
    expect(plain.err).toBe('');
    expect(plain.out).toContain(`accuracy    ${golden.toFixed(4)} (${Math.round(golden * 64)}/64)`);
    expect(plain.out).toMatch(/^count {7}64$/m);
    expect(plain.out).toMatch(/^throughput {2}\d+\.\d inputs\/s/m);
    const tty = await evaluate(['--model', TRAINED.afqmc, '--device', 'cpu', '--data', data, '--json'], true);
    expect(tty.code).toBe(0);
    expect(tty.err).toMatch(/^label +gold +predicted +correct +precision +recall\n/);
    expect(tty.err).toMatch(/^different +\d+/m);
    expect(JSON.parse(tty.out).accuracy).toBe(golden);
  });

  it('CLUENER: entity precision, recall and F1 of the predicted entities', async () => {
    const lines = readDev(TRAINED.cluener, 200);
    const data = await writeJsonl(lines.map(({ text, entities }) => ({ text, entities })));
    const r = await evaluate(['--model', TRAINED.cluener, '--device', 'cpu', '--data', data, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.task).toBe('token-classification');
    expect(report.count).toBe(200);
    const { gold, predicted, correct } = report.entities;
    expect(gold).toBe(lines.reduce((s, l) => s + (l.entities?.length ?? 0), 0));
    expect(report.precision).toBeCloseTo(correct / predicted, 12);
    expect(report.recall).toBeCloseTo(correct / gold, 12);
    expect(report.f1).toBeCloseTo(
      (2 * report.precision * report.recall) / (report.precision + report.recall),
      12,
    );
    expect(Object.keys(report.byType)).toContain('name');
  });

  it('names the file, line and field of bad data', async () => {
    const cases: [string[], RegExp][] = [
      [['{"text":"a","label":"news_car"}', '{"text":"b"}'], /line 2: missing field "label"/],
      [
        ['{"text":"a","label":"sports"}'],
        /line 1: field "label": unknown label "sports" \(labels: news_story, /,
      ],
      [['{"text":"a","label":15}'], /line 1: field "label": 15 is not a label id of the model \(ids 0…14\)/],
      [['{"text":"a","label":"news_car"}', '{"text":"a",'], /line 2: malformed JSON/],
    ];
    for (const [lines, message] of cases) {
      const data = await writeJsonl(lines);
      const r = await evaluate(['--model', TRAINED.tnews, '--device', 'cpu', '--data', data]);
      expect(r.code, String(message)).toBe(1);
      oneLine(r.err);
      expect(r.err).toMatch(/^samp eval: .*in\.jsonl line \d/);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    }
    const entities = await writeJsonl(['{"text":"张三","entities":[{"type":"name","start":0,"end":9}]}']);
    const e = await evaluate(['--model', TRAINED.cluener, '--device', 'cpu', '--data', entities]);
    expect(e.code).toBe(1);
    expect(e.err).toMatch(
      /line 1: field "entities"\[0\]\.end must be an integer offset into "text" \(0…2\), got 9/,
    );
    const noEntities = await writeJsonl(['{"text":"张三","label":"name"}']);
    expect(
      (await evaluate(['--model', TRAINED.cluener, '--device', 'cpu', '--data', noEntities])).err,
    ).toMatch(/line 1: missing field "entities"/);
  });

  it('exits 2 without --data or on an unknown option, and 1 for a data file that cannot be read', async () => {
    const missing = await evaluate(['--model', TRAINED.tnews]);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe('samp eval: the option --data is required\n');
    expect((await evaluate(['--model', TRAINED.tnews, '--data', 'x', '--frobnicate'])).code).toBe(2);
    const unreadable = await evaluate(['--model', TRAINED.tnews, '--data', '/nonexistent/dev.jsonl']);
    expect(unreadable.code).toBe(1);
    oneLine(unreadable.err);
    expect(unreadable.err).toMatch(/--data: cannot read \/nonexistent\/dev\.jsonl/);
  });
});
