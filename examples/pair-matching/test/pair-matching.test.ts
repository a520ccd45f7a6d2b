import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Run as users run it (it imports the built packages: `pnpm build` first).
describe('examples/pair-matching', () => {
  it("labels the sample pairs and matches Hugging Face's predictions on the dev split", () => {
    const script = join(import.meta.dirname, '..', 'pair-matching.mjs');
    const result = spawnSync(process.execPath, [script, '--rows', '600', '--json'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as {
      backend: string;
      predictions: { gold: string; label: string; labelId: number; score: number; logits: number[] }[];
      evaluation: {
        rows: number;
        accuracy: number;
        huggingFaceAccuracy: number;
        sameLabelAsHuggingFace: number;
        majorityClass: string;
        majorityClassAccuracy: number;
        predictedSame: number;
      };
    };
    expect(report.backend).toBe('cpu');
    expect(report.predictions).toHaveLength(4);
    for (const p of report.predictions) {
      expect(['same', 'different']).toContain(p.label);
      expect(p.labelId).toBe(p.label === 'same' ? 1 : 0);
      expect(p.logits).toHaveLength(2);
      expect(p.score).toBeGreaterThanOrEqual(0.5);
    }
    // The two "different" pairs come out right; the model calls only ~10% of pairs "same".
    expect(report.predictions[2]?.label).toBe('different');
    expect(report.predictions[3]?.label).toBe('different');
    const e = report.evaluation;
    expect(e.rows).toBe(600);
    // FP32 on the CPU gives Hugging Face's label on every pair (logits within 1e-5).
    expect(e.sameLabelAsHuggingFace).toBe(1);
    expect(e.accuracy).toBe(e.huggingFaceAccuracy);
    expect(e.majorityClass).toBe('different');
    expect(e.accuracy).toBeGreaterThan(0.6);
    expect(e.accuracy).toBeLessThan(0.8);
    expect(e.predictedSame).toBeGreaterThan(0.02);
    expect(e.predictedSame).toBeLessThan(0.25);
  });
});
