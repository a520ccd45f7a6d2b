// The conformance suites need a real backend to exercise their session checks; until one exists, this
// file checks what can be checked: that the suites register every check, run the checks that need no
// session, gate the session checks on the probe (skipped, never passed), and run the head suite in full
// with a small but real head.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelArtifacts } from '../model/model-artifacts';
import type { EncoderBackendV1 } from '../spec/encoder-backend';
import type { HeadV1 } from '../spec/head';
import { BACKEND_CONFORMANCE_CHECKS, describeEncoderBackendConformance } from './backend-conformance';
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

// The state of samp's native backends on a machine where they were not built: the probe says so and
// no session can be opened.
const notBuilt: EncoderBackendV1 = {
  specificationVersion: 'v1',
  name: 'not-built',
  device: 'cpu',
  probe: async () => ({
    status: 'not-built',
    reason: 'the native addon was not built',
    details: { arch: process.arch },
  }),
  createSession: () => Promise.reject(new Error('the native addon was not built')),
};
describeEncoderBackendConformance('not-built', () => notBuilt, {
  fixturesDir: fixtures,
  loadModel,
  precisions: ['fp32', 'fp16'],
});

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
  it('register every check of both suites', ({ task }) => {
    type Node = { name: string; type: string; mode: string; tasks?: Node[] };
    const names = (node: Node): string[] =>
      (node.tasks ?? []).flatMap((t) => (t.type === 'test' ? [t.name] : names(t)));
    const suites = (task.file as unknown as Node).tasks ?? [];
    const backend = names(suites.find((s) => s.name === 'not-built: EncoderBackendV1 conformance') as Node);
    const head = names(suites.find((s) => s.name === 'mean-pooling: HeadV1 conformance') as Node);
    for (const id of BACKEND_CONFORMANCE_CHECKS) {
      const perModel = !['spec', 'probe'].includes(id);
      expect(backend.filter((n) => n.endsWith(`[${id}]`)).length, id).toBe(perModel ? 2 : 1);
    }
    for (const id of HEAD_CONFORMANCE_CHECKS)
      expect(head.filter((n) => n.endsWith(`[${id}]`)).length, id).toBe(1);
  });
});
