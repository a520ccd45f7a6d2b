import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir, listFixtureModels } from '@samp/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from '../src/cli/commands';
import type { ModelReport } from '../src/cli/commands/inspect';
import { runCli } from '../src/cli/run-cli';
import { memoryIo } from './support/memory-io';

async function inspect(args: string[]) {
  const io = memoryIo();
  const code = await runCli(['inspect', ...args], commands, io);
  return { code, out: io.out(), err: io.err() };
}

const scratch = mkdtempSync(join(tmpdir(), 'samp-inspect-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('samp inspect', () => {
  for (const fixture of listFixtureModels()) {
    it(`reports the ${fixture.name} fixture as transformers saved it`, async () => {
      const dir = join(fixturesDir, fixture.name);
      const { code, out, err } = await inspect(['--model', dir, '--json']);
      expect(err).toBe('');
      expect(code).toBe(0);
      const report = JSON.parse(out) as ModelReport;
      const entry = fixture.entry;
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(report.modelType).toBe(fixture.modelType);
      expect(report.sizes.layers).toBe(entry.numHiddenLayers);
      expect(report.sizes.hidden).toBe(entry.hiddenSize);
      expect(report.sizes.vocab).toBe(entry.vocabSize);
      expect(report.weights.storedTensors).toBe((entry.storedTensors as string[]).length);
      expect(report.architectures).toEqual(config.architectures ?? []);
      expect(report.tokenizer === undefined).toBe(entry.hasTokenizer !== true);
      if (entry.numLabels !== null) {
        expect(Object.keys(report.labels ?? {})).toHaveLength(entry.numLabels as number);
        // transformers leaves the default names (LABEL_0, …) out of config.json.
        const names =
          (config.id2label as Record<string, string> | undefined) ??
          Object.fromEntries(Array.from({ length: entry.numLabels as number }, (_, i) => [i, `LABEL_${i}`]));
        expect(report.labels).toEqual(names);
      }
      const expectedDtype = entry.weightsFormat === 'fp16' ? 'F16' : 'F32';
      expect(Object.keys(report.weights.dtypes)).toEqual([expectedDtype]);
      expect(report.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    });
  }

  it('prints a readable report with the sizes, labels and tokenizer', async () => {
    const { code, out } = await inspect(['--model', join(fixturesDir, 'electra-seq-cls')]);
    expect(code).toBe(0);
    expect(out).toContain('electra (ElectraForSequenceClassification), head: sequence-classification');
    expect(out).toMatch(/embedding\s+16/);
    expect(out).toMatch(/hidden\s+32/);
    expect(out).toMatch(/1\s+yes/);
    expect(out).toContain('WordPiece from vocab.txt, 384 tokens');
  });

  it('names the sharded files and the ALBERT layer sharing', async () => {
    const sharded = JSON.parse((await inspect(['--model', join(fixturesDir, 'xlm-roberta'), '--json'])).out);
    expect(sharded.weights.files).toHaveLength(4);
    expect(sharded.sizes.positionOffset).toBe(2);
    const albert = JSON.parse(
      (await inspect(['--model', join(fixturesDir, 'albert-seq-cls'), '--json'])).out,
    );
    // 3 layers drawn from one shared group: more canonical tensors than stored ones.
    expect(albert.weights.canonicalTensors).toBeGreaterThan(albert.weights.storedTensors);
  });

  it('exits 2 with one line when --model is missing or an option is unknown', async () => {
    const missing = await inspect([]);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe('samp inspect: the option --model is required\n');
    const unknown = await inspect(['--model', 'x', '--colour']);
    expect(unknown.code).toBe(2);
    expect(unknown.err.trim().split('\n')).toHaveLength(1);
    expect(unknown.err).toContain('--colour');
  });

  it('exits 1 naming the folder when the model does not exist', async () => {
    const dir = join(scratch, 'nowhere');
    const { code, out, err } = await inspect(['--model', dir]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain(dir);
    expect(err).toContain('[SAMP_MODEL_FILE_NOT_FOUND]');
  });

  it('exits 1 naming the file and field of a malformed config', async () => {
    const dir = mkdtempSync(join(scratch, 'bad-config-'));
    const config = JSON.parse(readFileSync(join(fixturesDir, 'bert', 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, hidden_size: 'big' }));
    const { code, err } = await inspect(['--model', dir]);
    expect(code).toBe(1);
    expect(err).toContain(join(dir, 'config.json'));
    expect(err).toContain('hidden_size');
    expect(err).toContain('[SAMP_MODEL_CONFIG]');
  });
});
