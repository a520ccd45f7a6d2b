import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Entity {
  type: string;
  start: number;
  end: number;
  text: string;
  score: number;
}

// Run as users run it (it imports the built packages: `pnpm build` first).
describe('examples/ner', () => {
  it('finds the entities of the sample sentences and scores both decoders on the dev split', () => {
    const script = join(import.meta.dirname, '..', 'ner.mjs');
    const result = spawnSync(process.execPath, [script, '--rows', '200', '--json'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as {
      backend: string;
      predictions: { text: string; entities: Entity[] }[];
      rows: number;
      evaluation: { decoding: string; precision: number; recall: number; f1: number }[];
    };
    expect(report.backend).toBe('cpu');
    expect(report.predictions).toHaveLength(4);
    for (const { text, entities } of report.predictions)
      for (const e of entities) {
        expect(text.slice(e.start, e.end)).toBe(e.text);
        expect(e.score).toBeGreaterThan(0);
        expect(e.score).toBeLessThanOrEqual(1);
      }
    const spans = (i: number) => report.predictions[i]?.entities.map((e) => `${e.type}:${e.text}`);
    // Entities of the gold annotation that the trained model finds.
    expect(spans(0)).toEqual(expect.arrayContaining(['name:温格', 'organization:曼联']));
    expect(spans(1)).toContain('government:北京市消防局');
    expect(spans(2)).toEqual(expect.arrayContaining(['position:记者', 'name:王吉瑛']));
    expect(report.rows).toBe(200);
    const [argmax, viterbi] = report.evaluation;
    expect(argmax?.decoding).toBe('argmax');
    // Over the whole split argmax gives 45.4% (what Hugging Face's own tags give, decoded the same way).
    expect(argmax?.f1).toBeGreaterThan(0.35);
    expect(argmax?.f1).toBeLessThan(0.6);
    // Viterbi drops the illegal fragments (an I- tag after O) that argmax turns into entities.
    expect(viterbi?.decoding).toBe('viterbi');
    expect(viterbi?.precision).toBeGreaterThan(argmax?.precision as number);
    expect(viterbi?.f1).toBeGreaterThan(argmax?.f1 as number);
  });
});
