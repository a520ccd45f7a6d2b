// `samp recommend` on the trained models, CPU backend: a valid PrecisionPlan for the model, the HTML report
// with its chart, the measurement tables, held-out scores; label-free agreement on text pairs; and bad input
// (an impossible latency limit, a profile for another model, both constraints, a line without a label):
// one stderr line, non-zero exit, no plan file left behind.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkPlanMatches, loadModel, readPrecisionPlan } from '@samp/core';
import { readMeasurementTables } from '@samp/recommender';
import { describe, expect, it } from 'vitest';
import { commands } from '../src/cli/commands';
import { runCli } from '../src/cli/run-cli';
import { readDev, TRAINED, writeJsonl } from './support/dev-sets';
import { memoryIo } from './support/memory-io';

async function recommend(args: string[], tty = false) {
  const io = { ...memoryIo(), stderrIsTty: tty };
  const code = await runCli(['recommend', ...args], commands, io);
  return { code, out: io.out(), err: io.err() };
}

// Small shapes and few timed runs keep each run to seconds on 2 cores.
const FAST = ['--device', 'cpu', '--batch-size', '8', '--seq-len', '32', '--latency-runs', '1'];

const oneLine = (err: string) => expect(err.trim().split('\n')).toHaveLength(1);

describe('samp recommend', () => {
  it('SST-2: a plan for the model within the drop, the report, the tables and the held-out scores (--json)', async () => {
    const lines = readDev(TRAINED.sst2, 48).map(({ text, label }) => ({ text, label }));
    const data = await writeJsonl(lines);
    const dir = dirname(data);
    const out = join(dir, 'plan.json');
    const r = await recommend([
      '--model',
      TRAINED.sst2,
      '--eval',
      data,
      ...FAST,
      '--max-accuracy-drop',
      '1',
      '--out',
      out,
      '--report',
      join(dir, 'report.html'),
      '--tables-out',
      join(dir, 'tables.json'),
      '--json',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary).toMatchObject({
      backend: 'cpu',
      batchSize: 8,
      sequenceLength: 32,
      metric: 'accuracy',
      basePrecision: 'fp32',
    });
    expect(summary.explanation).toMatch(/of fp32's accuracy/);
    expect(summary.rule).toEqual({ kind: 'max-accuracy-drop', maxDrop: 0.01 });
    expect(summary.choice.drop).toBeLessThanOrEqual(0.01);
    expect(summary.choice.heldOutScore).toBeGreaterThan(0);
    expect(summary.choice.measuredLatencyMs).toBeGreaterThan(0);
    expect(summary.excluded.map((e: { precision: string }) => e.precision)).toEqual(['fp16', 'fp8']);

    const model = await loadModel(TRAINED.sst2);
    const plan = await readPrecisionPlan(out);
    checkPlanMatches(plan, model, out);
    expect(plan.device).toBe('cpu');
    expect(plan.layers.map((l) => l.precision)).toEqual(
      summary.choice.layers.map((l: { precision: string }) => l.precision),
    );
    expect(plan.predicted).toMatchObject({
      batchSize: 8,
      sequenceLength: 32,
      accuracy: summary.choice.heldOutScore,
    });
    expect(plan.frontier?.length).toBeGreaterThan(0);

    const tables = await readMeasurementTables(join(dir, 'tables.json'));
    expect(tables.model.fingerprint).toBe(model.fingerprint);
    // 24 choose rows (the even lines): the baseline is fp32's accuracy on them.
    expect(tables.baseline.score * 24).toBeCloseTo(Math.round(tables.baseline.score * 24), 9);
    expect(tables.sensitivity).toHaveLength(8);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain(`>${summary.choice.label}</text>`);
  });

  it('AFQMC pairs without labels: label-free agreement with fp32; the frontier table on a terminal', async () => {
    const lines = readDev(TRAINED.afqmc, 16).map(({ text, text_pair }) => ({ text, text_pair }));
    const data = await writeJsonl(lines);
    const out = join(dirname(data), 'plan.json');
    const r = await recommend(
      ['--model', TRAINED.afqmc, '--eval', data, ...FAST, '--no-greedy', '--out', out, '--json'],
      true,
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.metric).toBe('agreement');
    expect(summary.baseline.score).toBe(1);
    expect(summary.rule).toEqual({ kind: 'default', maxDrop: 0.01 });
    expect(r.err).toMatch(/^ +plan +agreement % +drop +ms \(pred\)/m);
    expect(existsSync(out)).toBe(true);
  });

  it('a latency limit no plan meets: exit 1, one line naming the closest plan and why; no plan file', async () => {
    const data = await writeJsonl(readDev(TRAINED.sst2, 8).map(({ text, label }) => ({ text, label })));
    const out = join(dirname(data), 'plan.json');
    const r = await recommend([
      '--model',
      TRAINED.sst2,
      '--eval',
      data,
      ...FAST,
      '--no-greedy',
      '--max-latency-ms',
      '0.001',
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err.trim()).toMatch(
      /^samp recommend: no plan meets --max-latency-ms 0\.001: the fastest of \d+ plans, \S+, is predicted at [\d.]+ ms at batch 8 × sequence 32, .* over the 0\.001 ms limit.*; closest plan: \S+ \(accuracy [\d.]+%, drop [-\d.]+ points, [\d.]+ ms predicted\) \[SAMP_CONSTRAINT_UNMET\]$/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a profile calibrated on another model: exit 1, one line naming the profile and the fingerprints', async () => {
    const tnews = await loadModel(TRAINED.tnews);
    const data = await writeJsonl(readDev(TRAINED.sst2, 4).map(({ text, label }) => ({ text, label })));
    const profile = join(dirname(data), 'tnews-profile.json');
    await writeFile(
      profile,
      JSON.stringify({
        format: 'samp.quant-profile',
        version: 1,
        model: { fingerprint: tnews.fingerprint, modelType: 'bert', numHiddenLayers: 4, hiddenSize: 256 },
        method: 'max',
        activations: { 'layers.0.attention.qkv.input': { scale: 0.05 } },
      }),
    );
    const out = join(dirname(data), 'plan.json');
    const r = await recommend([
      '--model',
      TRAINED.sst2,
      '--eval',
      data,
      ...FAST,
      '--profile',
      profile,
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err).toContain(
      'tnews-profile.json, field "model.fingerprint": the profile was calibrated on another model',
    );
    expect(r.err).toContain('[SAMP_INVALID_PROFILE]');
    expect(existsSync(out)).toBe(false);
  });

  it('--base-precision fp16 on the CPU: exit 1, one line naming the refusal; an unknown base: exit 2', async () => {
    const data = await writeJsonl(readDev(TRAINED.sst2, 4).map(({ text, label }) => ({ text, label })));
    const out = join(dirname(data), 'plan.json');
    const fp16 = await recommend([
      '--model',
      TRAINED.sst2,
      '--eval',
      data,
      ...FAST,
      '--base-precision',
      'fp16',
      '--out',
      out,
    ]);
    expect(fp16.code).toBe(1);
    oneLine(fp16.err);
    expect(fp16.err).toMatch(/^samp recommend: .*fp16.*\[SAMP_UNSUPPORTED_PRECISION\]$/m);
    expect(existsSync(out)).toBe(false);
    const bad = await recommend([
      '--model',
      TRAINED.sst2,
      '--eval',
      data,
      '--base-precision',
      'bf16',
      '--out',
      out,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('samp recommend: --base-precision expects auto, fp32 or fp16, got "bf16"\n');
  });

  it('usage and data errors: both constraints, no --out, a line without a label among labelled ones', async () => {
    const data = await writeJsonl([
      { text: 'a gripping film', label: 'positive' },
      { text: 'dull and long' },
    ]);
    const both = await recommend([
      '--model',
      TRAINED.sst2,
      '--eval',
      data,
      '--max-accuracy-drop',
      '1',
      '--max-latency-ms',
      '5',
      '--out',
      'x.json',
    ]);
    expect(both.code).toBe(2);
    expect(both.err).toBe('samp recommend: give --max-accuracy-drop or --max-latency-ms, not both\n');
    const noOut = await recommend(['--model', TRAINED.sst2, '--eval', data]);
    expect(noOut.code).toBe(2);
    expect(noOut.err).toBe('samp recommend: the option --out is required\n');
    const badDrop = await recommend([
      '--model',
      TRAINED.sst2,
      '--eval',
      data,
      '--max-accuracy-drop',
      'x',
      '--out',
      'x.json',
    ]);
    expect(badDrop.code).toBe(2);
    expect(badDrop.err).toMatch(/--max-accuracy-drop expects a number ≥ 0 and ≤ 100, got "x"/);
    const out = join(dirname(data), 'plan.json');
    const unlabelled = await recommend(['--model', TRAINED.sst2, '--eval', data, ...FAST, '--out', out]);
    expect(unlabelled.code).toBe(1);
    oneLine(unlabelled.err);
    expect(unlabelled.err).toMatch(/in\.jsonl line 2: missing field "label": label every line, or none/);
    expect(existsSync(out)).toBe(false);
  });
});
