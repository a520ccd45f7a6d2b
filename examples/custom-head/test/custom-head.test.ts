import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '@samp/core';
import { describeHeadConformance, fixturesDir, readSafetensorsSync } from '@samp/core/testing';
import { createCpuBackend } from '@samp/encoder-cpu-vnni';
import { pipeline } from 'samp';
import { describe, expect, it } from 'vitest';
import { topKHead } from '../src';

// The same conformance suite samp's own heads pass.
describeHeadConformance('top-k', topKHead, {
  validateOutput: (result) => {
    expect(result.top.length).toBeGreaterThan(0);
    for (let i = 1; i < result.top.length; i++)
      expect(result.top[i - 1]?.probability).toBeGreaterThanOrEqual(result.top[i]?.probability as number);
  },
});

const bertSeqCls = join(fixturesDir, 'bert-seq-cls');

describe('top-k head', () => {
  it("ranks labels as Hugging Face's logits do, from the golden hidden states", async () => {
    const model = await loadModel(bertSeqCls);
    const expected = readSafetensorsSync(join(bertSeqCls, 'expected.safetensors'));
    const inputs = JSON.parse(readFileSync(join(bertSeqCls, 'inputs.json'), 'utf8')) as {
      attention_mask: number[][];
    };
    const hidden = expected.get('last_hidden_state');
    const logits = expected.get('logits');
    if (hidden === undefined || logits === undefined) throw new Error('the fixture lacks its golden tensors');
    const [batchSize, sequenceLength, hiddenSize] = hidden.shape as [number, number, number];
    const head = await topKHead.create(model, { k: 3 });
    const results = head.decode(
      { lastHiddenState: hidden.data, batchSize, sequenceLength, hiddenSize },
      { attentionMask: Int32Array.from(inputs.attention_mask.flat()) },
    );
    const labels = model.config.numLabels;
    results.forEach((result, row) => {
      const rowLogits = Array.from(logits.data.subarray(row * labels, (row + 1) * labels));
      const order = rowLogits.map((l, id) => [l, id] as const).sort((a, b) => b[0] - a[0]);
      expect(result.top.map((t) => t.label)).toEqual(order.map(([, id]) => model.config.id2label[id]));
      const exp = rowLogits.map((l) => Math.exp(l));
      const total = exp.reduce((a, b) => a + b, 0);
      expect(result.top[0]?.probability).toBeCloseTo((exp[order[0]?.[1] as number] as number) / total, 5);
    });
  });

  it('plugs into pipeline() end to end on the CPU backend', async () => {
    await using classify = await pipeline('classification', {
      model: bertSeqCls,
      head: topKHead,
      headOptions: { k: 2 },
      backends: [createCpuBackend()],
    });
    const lines = readFileSync(join(bertSeqCls, 'texts.jsonl'), 'utf8').trim().split('\n');
    for (const line of lines) {
      const golden = JSON.parse(line) as { text: string; text_pair?: string; logits: number[] };
      const result = (await classify({
        text: golden.text,
        text_pair: golden.text_pair ?? null,
      })) as unknown as {
        top: { label: string }[];
      };
      const best = golden.logits.indexOf(Math.max(...golden.logits));
      expect(result.top).toHaveLength(2);
      expect(result.top[0]?.label).toBe(classify.model.config.id2label[best]);
    }
  });

  it('refuses checkpoints it cannot read, saying why', async () => {
    const roberta = await loadModel(join(fixturesDir, 'roberta-seq-cls'));
    const support = topKHead.supports(roberta.config);
    expect(support).toEqual({ supported: false, reason: 'reads the BERT pooler, which roberta has not' });
  });
});
