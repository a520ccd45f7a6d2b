import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Prediction {
  text: string;
  label: string;
  labelId: number;
  score: number;
  logits: number[];
}

const root = join(import.meta.dirname, '..', '..', '..');
const modelDir = join(root, 'packages', 'model-tnews-zh-small', 'model');

// Run as users run it (it imports the built packages: `pnpm build` first).
describe('examples/custom-pipeline', () => {
  it("gives Hugging Face's labels and exactly what pipeline() gives (through `samp predict`)", () => {
    const script = join(import.meta.dirname, '..', 'custom-pipeline.mjs');
    const result = spawnSync(process.execPath, [script, '--rows', '300', '--json'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as {
      backend: string;
      predictions: Prediction[];
      evaluation: { rows: number; sameLabelAsHuggingFace: number; maxAbsLogitDiff: number; accuracy: number };
      dev: Prediction[];
    };
    expect(report.backend).toBe('cpu');
    expect(report.predictions.map((p) => p.label)).toEqual([
      'news_military',
      'news_travel',
      'news_entertainment',
      'news_entertainment',
    ]);
    expect(report.evaluation.rows).toBe(300);
    expect(report.evaluation.sameLabelAsHuggingFace).toBe(1);
    expect(report.evaluation.maxAbsLogitDiff).toBeLessThan(1e-4);

    // The facade on the same texts: `samp predict` runs pipeline('classification', …) per chunk of lines.
    const samp = JSON.parse(readFileSync(join(root, 'packages', 'samp', 'package.json'), 'utf8')) as {
      bin: { samp: string };
    };
    const all = [...report.predictions, ...report.dev];
    const cli = spawnSync(
      process.execPath,
      [
        join(root, 'packages', 'samp', samp.bin.samp),
        'predict',
        '--model',
        modelDir,
        '--device',
        'cpu',
        '--max-length',
        '64',
      ],
      { encoding: 'utf8', input: `${all.map((p) => JSON.stringify({ text: p.text })).join('\n')}\n` },
    );
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    const viaPipeline = cli.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { label: string; logits: number[] });
    expect(viaPipeline.map((p) => p.label)).toEqual(all.map((p) => p.label));
    let worst = 0;
    viaPipeline.forEach((p, i) => {
      p.logits.forEach((x, j) => {
        worst = Math.max(worst, Math.abs(x - (all[i]?.logits[j] as number)));
      });
    });
    expect(worst).toBeLessThan(1e-5);
  });
});
