// The backend suite needs a real backend to run its session checks: the encoder packages run it against
// their own backends. This file checks that the suites register every check and runs the head suite in
// full with a small but real head.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelArtifacts } from '../model/model-artifacts';
import type { HeadV1 } from '../spec/head';
import { describeHeadConformance, HEAD_CONFORMANCE_CHECKS } from './head-conformance';
import { tinyModel } from './test-model.test-helper';

// Created while collecting, since the suites read the manifest when they register their tests.
const fixtures = mkdtempSync(join(tmpdir(), 'samp-conformance-'));
mkdirSync(join(fixtures, 'tiny-bert'));
writeFileSync(
  join(fixtures, 'manifest.json'),
  JSON.stringify({ models: [{ name: 'tiny-bert', modelType: 'bert' }] }),
);
afterAll(() => rmSync(fixtures, { recursive: true, force: true }));
const loadModel = async (): Promise<ModelArtifacts> => tinyModel();

/** Mean of each row's real hidden states: a complete feature-extraction head. */
const meanPooling: HeadV1<number[]> = {
  specificationVersion: 'v1',
  name: 'mean-pooling',
  tasks: ['feature-extraction'],
  supports: (config) =>
    config.hiddenSize > 0 ? { supported: true } : { supported: false, reason: 'no hidden size' },
  create: async () => ({
    decode: (output, { attentionMask }) => {
      const { batchSize, sequenceLength: n, hiddenSize: h, lastHiddenState } = output;
      return Array.from({ length: batchSize }, (_, row) => {
        const sum = new Array<number>(h).fill(0);
        let count = 0;
        for (let t = 0; t < n; t++) {
          if (attentionMask[row * n + t] !== 1) continue;
          count++;
          for (let j = 0; j < h; j++)
            sum[j] = (sum[j] as number) + (lastHiddenState[(row * n + t) * h + j] as number);
        }
        return sum.map((s) => s / count);
      });
    },
  }),
};
describeHeadConformance('mean-pooling', meanPooling, {
  fixturesDir: fixtures,
  loadModel,
  validateOutput: (vector, _row, model) => expect(vector.length).toBe(model.config.hiddenSize),
});

// The same head on samp's golden fixture models, loaded by core's own loadModel.
describeHeadConformance('mean-pooling on golden fixtures', meanPooling, {
  models: ['bert', 'bert-seq-cls', 'albert-seq-cls'],
  validateOutput: (vector, _row, model) => expect(vector.length).toBe(model.config.hiddenSize),
});

describe('conformance suites', () => {
  it('register every check of the head suite', ({ task }) => {
    type Node = { name: string; type: string; mode: string; tasks?: Node[] };
    const names = (node: Node): string[] =>
      (node.tasks ?? []).flatMap((t) => (t.type === 'test' ? [t.name] : names(t)));
    const suites = (task.file as unknown as Node).tasks ?? [];
    const head = names(suites.find((s) => s.name === 'mean-pooling: HeadV1 conformance') as Node);
    for (const id of HEAD_CONFORMANCE_CHECKS)
      expect(head.filter((n) => n.endsWith(`[${id}]`)).length, id).toBe(1);
  });
});
