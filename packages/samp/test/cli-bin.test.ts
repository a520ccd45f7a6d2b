import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '@samp/core/testing';
import { describe, expect, it } from 'vitest';

// The built executable, as users run it (`bin.samp` of packages/samp); `pnpm build` makes it.
const bin = join(import.meta.dirname, '..', 'dist', 'cli.js');

function samp(...args: string[]) {
  return sampWithInput('', ...args);
}

function sampWithInput(input: string, ...args: string[]) {
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: run \`npx -y pnpm@10.34.8 build\` first`);
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input });
}

describe('the samp executable', () => {
  it('inspects a model', () => {
    const result = samp('inspect', '--model', join(fixturesDir, 'distilbert-seq-cls'), '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.modelType).toBe('distilbert');
    expect(report.weights.dtypes).toEqual({ F16: 40 });
  });

  it('predicts from stdin with the backend package found at run time', () => {
    const result = sampWithInput(
      '{"text":"this movie was really good"}\n{"text":"a great film","text_pair":"the actor was very funny"}\n',
      'predict',
      '--model',
      join(fixturesDir, 'bert-seq-cls'),
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.label)).toEqual(['positive', 'neutral']);
    expect(Object.keys(lines[0])).toEqual(['label', 'label_id', 'score', 'logits']);
    const usage = samp('predict', '--model', join(fixturesDir, 'bert-seq-cls'), '--batch-size', 'many');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe('samp predict: --batch-size expects an integer of at least 1, got "many"\n');
  });

  it('exits 2 on an unknown command with the list of commands', () => {
    const result = samp('frobnicate');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('inspect');
  });
});
