// `samp calibrate` on the trained models: a valid profile for the model that `samp eval --precision int8
// --profile` accepts, the --json summary, the TTY-only progress bar and table, SmoothQuant, and bad input
// (empty file, wrong fields, malformed JSON, bad options): one stderr line, exit 1 (2 for usage), no
// profile left behind. Calibration uses dev lines here because the repository carries no training text;
// bench/calibration calibrates on the train splits.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, parseQuantProfile } from '@samp/core';
import { describe, expect, it } from 'vitest';
import { commands } from '../src/cli/commands';
import { runCli } from '../src/cli/run-cli';
import { readDev, TRAINED, writeJsonl } from './support/dev-sets';
import { memoryIo } from './support/memory-io';

async function run(args: string[], tty = false) {
  const io = { ...memoryIo(), stderrIsTty: tty };
  const code = await runCli(args, commands, io);
  return { code, out: io.out(), err: io.err() };
}

const outDir = () => mkdtemp(join(tmpdir(), 'samp-calibrate-'));

describe('samp calibrate', () => {
  it('TNEWS: writes a profile for the model that samp eval runs INT8 with (--json summary)', async () => {
    const lines = readDev(TRAINED.tnews, 200);
    const data = await writeJsonl(lines.slice(0, 64).map(({ text, label }) => ({ text, label })));
    const out = join(await outDir(), 'tnews.profile.json');
    const r = await run([
      'calibrate',
      '--model',
      TRAINED.tnews,
      '--data',
      data,
      '--out',
      out,
      '--method',
      'entropy',
      '--device',
      'cpu',
      '--json',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary).toMatchObject({
      profile: out,
      method: 'entropy',
      backend: 'cpu',
      lines: 64,
      smoothQuantAlpha: null,
    });
    expect(summary.tensors).toHaveLength(37);
    expect(summary.tensors[0]).toMatchObject({ name: 'embeddings.output' });
    expect(Object.keys(summary.meanSqnrDb)).toEqual(['max', 'percentile', 'mse', 'entropy']);
    const profile = parseQuantProfile(JSON.parse(await readFile(out, 'utf8')), out);
    const model = await loadModel(TRAINED.tnews, { tokenizer: false });
    expect(profile.model.fingerprint).toBe(model.fingerprint);
    expect(profile.method).toBe('entropy');
    expect(profile.activations['layers.3.ffn.output.input']?.scale).toBe(
      summary.tensors.find((t: { name: string }) => t.name === 'layers.3.ffn.output.input').scale,
    );

    const held = await writeJsonl(lines.slice(64).map(({ text, label }) => ({ text, label })));
    const fp32 = await run(['eval', '--model', TRAINED.tnews, '--data', held, '--device', 'cpu', '--json']);
    const int8 = await run([
      'eval',
      '--model',
      TRAINED.tnews,
      '--data',
      held,
      '--device',
      'cpu',
      '--precision',
      'int8',
      '--profile',
      out,
      '--json',
    ]);
    expect(int8.code).toBe(0);
    expect(Math.abs(JSON.parse(int8.out).accuracy - JSON.parse(fp32.out).accuracy)).toBeLessThan(0.03);
  });

  it('AFQMC pairs: --samples, text summary; progress bar and per-tensor table only on a terminal', async () => {
    const lines = readDev(TRAINED.afqmc, 80).map(({ text, text_pair }) => ({ text, text_pair }));
    const data = await writeJsonl(lines);
    const dir = await outDir();
    const plain = await run([
      'calibrate',
      '--model',
      TRAINED.afqmc,
      '--data',
      data,
      '--out',
      join(dir, 'a.json'),
      '--samples',
      '40',
      '--device',
      'cpu',
    ]);
    expect(plain.code).toBe(0);
    expect(plain.err).toBe('');
    expect(plain.out).toMatch(/^method {6}percentile \(numBins 4096, percentile 99\.99\)$/m);
    expect(plain.out).toMatch(/^calibrated {2}40 lines, \d+ tokens in 2 batches, \d+\.\d\d s$/m);
    expect(plain.out).toMatch(
      /^SQNR {8}mean over 37 tensors \(dB\): max \d+\.\d, percentile \d+\.\d, mse \d+\.\d, entropy \d+\.\d$/m,
    );
    const tty = await run(
      [
        'calibrate',
        '--model',
        TRAINED.afqmc,
        '--data',
        data,
        '--out',
        join(dir, 'b.json'),
        '--method',
        'mse',
        '--device',
        'cpu',
      ],
      true,
    );
    expect(tty.code).toBe(0);
    expect(tty.err).toContain('\rcalibrating [');
    expect(tty.err).toContain('100% 80/80');
    // The bar clears its line with ESC [K before the table starts.
    const table = tty.err.split('\x1b[K').join('\n');
    expect(table).toMatch(
      /^tensor +max \|x\| +scale \(mse\) +max dB +percentile dB +mse dB +entropy dB +best$/m,
    );
    expect(tty.err).toMatch(/^layers\.3\.attention\.probs +[\d.e+-]+ +[\d.e+-]+ /m);
    const a = parseQuantProfile(JSON.parse(await readFile(join(dir, 'a.json'), 'utf8')), 'a');
    const b = parseQuantProfile(JSON.parse(await readFile(join(dir, 'b.json'), 'utf8')), 'b');
    expect(a.method).toBe('percentile');
    expect(b.method).toBe('mse');
    expect(a.model.fingerprint).toBe(b.model.fingerprint);
  });

  it('--smooth-quant: the profile carries the factors and belongs to the smoothed model', async () => {
    const data = await writeJsonl(readDev(TRAINED.sst2, 48).map(({ text }) => ({ text })));
    const out = join(await outDir(), 'sq.json');
    const r = await run(
      [
        'calibrate',
        '--model',
        TRAINED.sst2,
        '--data',
        data,
        '--out',
        out,
        '--smooth-quant',
        '0.5',
        '--device',
        'cpu',
        '--json',
      ],
      true,
    );
    expect(r.code).toBe(0);
    expect(r.err).toContain('pass 1/2 (smoothing)');
    expect(r.err).toContain('pass 2/2 (statistics)');
    expect(JSON.parse(r.out).smoothQuantAlpha).toBe(0.5);
    const profile = parseQuantProfile(JSON.parse(await readFile(out, 'utf8')), out);
    expect(Object.keys(profile.smoothing ?? {})).toHaveLength(4);
    expect(profile.methodOptions?.smoothQuantAlpha).toBe(0.5);
    const model = await loadModel(TRAINED.sst2, { tokenizer: false });
    expect(profile.model.fingerprint).not.toBe(model.fingerprint);
  });

  describe('bad input: one line on stderr, no profile written', () => {
    const cases: [string, unknown[], RegExp][] = [
      [
        'an empty data file',
        [],
        /^samp calibrate: .*in\.jsonl: has no lines to calibrate on .*\[SAMP_CALIBRATION_EMPTY\]$/,
      ],
      [
        'a line without "text"',
        [{ text: 'ok' }, { sentence: 'wrong field' }],
        /in\.jsonl line 2: missing field "text" \(expected a string\) \[SAMP_INVALID_ARGUMENT\]$/,
      ],
      [
        'a non-string text_pair',
        [{ text: 'a', text_pair: 3 }],
        /in\.jsonl line 1: field "text_pair" must be a string/,
      ],
      ['malformed JSON', ['{"text": "a"', '{"text": "b"}'], /in\.jsonl line 1: malformed JSON/],
    ];
    for (const [what, lines, message] of cases) {
      it(what, async () => {
        const data = await writeJsonl(lines);
        if (lines.length === 0) await writeFile(data, '');
        const out = join(await outDir(), 'p.json');
        const r = await run([
          'calibrate',
          '--model',
          TRAINED.tnews,
          '--data',
          data,
          '--out',
          out,
          '--device',
          'cpu',
        ]);
        expect(r.code).toBe(1);
        expect(r.out).toBe('');
        expect(r.err.trim().split('\n')).toHaveLength(1);
        expect(r.err.trim()).toMatch(message);
        expect(existsSync(out)).toBe(false);
      });
    }

    it('a missing data file, an unwritable output, a model folder without weights', async () => {
      const out = join(await outDir(), 'p.json');
      const missing = await run([
        'calibrate',
        '--model',
        TRAINED.tnews,
        '--data',
        '/nonexistent/x.jsonl',
        '--out',
        out,
      ]);
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/^samp calibrate: --data: cannot read \/nonexistent\/x\.jsonl/);
      const data = await writeJsonl([{ text: 'a' }]);
      const unwritable = await run([
        'calibrate',
        '--model',
        TRAINED.tnews,
        '--data',
        data,
        '--out',
        '/nonexistent/dir/p.json',
      ]);
      expect(unwritable.code).toBe(1);
      expect(unwritable.err).toMatch(/^samp calibrate: --out: cannot write \/nonexistent\/dir\/p\.json/);
      const noModel = await run(['calibrate', '--model', await outDir(), '--data', data, '--out', out]);
      expect(noModel.code).toBe(1);
      expect(noModel.err.trim().split('\n')).toHaveLength(1);
      expect(noModel.err).toMatch(/config\.json/);
      expect(existsSync(out)).toBe(false);
    });

    it('usage errors exit 2', async () => {
      const data = await writeJsonl([{ text: 'a' }]);
      for (const [args, message] of [
        [['--method', 'minmax'], /--method expects max, percentile, mse, entropy, got "minmax"/],
        [['--percentile', '0'], /--percentile expects a number in \(0, 100\], got "0"/],
        [['--smooth-quant', '2'], /--smooth-quant expects a number from 0 to 1/],
        [['--samples', '0'], /--samples expects an integer of at least 1/],
        [['--bins', '5'], /Unknown option '--bins'/],
      ] as const) {
        const r = await run([
          'calibrate',
          '--model',
          TRAINED.tnews,
          '--data',
          data,
          '--out',
          '/tmp/x.json',
          ...args,
        ]);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(message);
      }
      const noOut = await run(['calibrate', '--model', TRAINED.tnews, '--data', data]);
      expect(noOut.code).toBe(2);
      expect(noOut.err).toMatch(/the option --out is required/);
    });
  });
});
