import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cases, compareCase, FIXTURES, type Golden, readJsonl, tokenizerFor } from './golden-helpers';

// Goldens written by scripts/make-goldens.mjs from the `tokenizers` crate (npm binding 0.23.2).
describe.each([
  ['uncased', true],
  ['uncased', false],
  ['chinese', true],
  ['chinese', false],
] as const)('golden %s lowercase=%s', (vocab, lowercase) => {
  const goldens = readJsonl<Golden>(join(FIXTURES, `golden-${vocab}-${lowercase ? 'lower' : 'cased'}.jsonl`));
  const byId = new Map(goldens.map((g) => [g.id, g]));
  const all = cases();

  it('has a golden record for every case', () => {
    expect(all.length).toBeGreaterThan(200);
    for (const c of all) expect(byId.has(c.id), c.id).toBe(true);
  });

  it('matches ids, type ids, offsets and overflowing windows for every case', () => {
    const tok = tokenizerFor(vocab, lowercase);
    const diffs: string[] = [];
    for (const c of all) diffs.push(...compareCase(tok, c, byId.get(c.id) as Golden));
    expect(diffs).toEqual([]);
  });

  it('matches tokenizers 0.23 encode (truncation early exit) when asked to', () => {
    const tok = tokenizerFor(vocab, lowercase);
    const diffs: string[] = [];
    let n = 0;
    for (const c of all) {
      const g = byId.get(c.id) as Golden;
      if (g.early_exit === undefined) continue;
      n++;
      diffs.push(...compareCase(tok, c, g.early_exit, true));
    }
    expect(n).toBeGreaterThan(10);
    expect(diffs).toEqual([]);
  });
});
