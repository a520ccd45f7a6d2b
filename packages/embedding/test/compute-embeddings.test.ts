import { loadModel, type ModelArtifacts } from '@samp/core';
import { listFixtureModels, readFixtureExpected, readFixtureInputs, relativeError } from '@samp/core/testing';
import { describe, expect, it } from 'vitest';
import {
  computeEmbeddings,
  embeddingRules,
  loadEmbeddingTables,
  positionIds,
  quantizeInt8,
  referenceFusedEmbedding,
} from '../src/index';

const fixtures = listFixtureModels();

describe('computeEmbeddings against Hugging Face hidden_states.0', () => {
  it('covers the nine fixture models', () => expect(fixtures.length).toBe(9));

  it.each(fixtures.map((f) => [f.name, f] as const))(
    '%s: every position within 1e-5',
    async (_name, fixture) => {
      const model = await loadModel(fixture.dir, { tokenizer: false });
      const input = readFixtureInputs(fixture, model.config.padTokenId);
      const golden = readFixtureExpected(fixture)?.get('hidden_states.0');
      expect(golden?.shape).toEqual([input.batchSize, input.sequenceLength, model.config.hiddenSize]);
      const got = await computeEmbeddings(model.weights, model.config, input);
      expect(relativeError(got, golden?.data ?? [])).toBeLessThanOrEqual(1e-5);
    },
  );
});

describe('embeddingRules', () => {
  const byName = async (name: string): Promise<ModelArtifacts> => {
    const f = fixtures.find((x) => x.name === name);
    if (f === undefined) throw new Error(`no fixture ${name}`);
    return loadModel(f.dir, { tokenizer: false });
  };

  it('describes each architecture', async () => {
    expect(embeddingRules((await byName('bert')).config)).toMatchObject({
      positionIds: 'sequential',
      tokenTypes: true,
      projection: false,
    });
    expect(embeddingRules((await byName('roberta-seq-cls')).config)).toMatchObject({
      positionIds: 'padding-aware',
      padTokenId: 1,
    });
    expect(embeddingRules((await byName('xlm-roberta')).config).positionIds).toBe('padding-aware');
    expect(embeddingRules((await byName('distilbert-seq-cls')).config).tokenTypes).toBe(false);
    expect(embeddingRules((await byName('electra-seq-cls')).config)).toMatchObject({
      projection: true,
      embeddingSize: 16,
      hiddenSize: 32,
    });
    expect(embeddingRules((await byName('albert-seq-cls')).config).projection).toBe(true);
  });

  it('returns the LayerNorm output before the projection on request (embeddings.output)', async () => {
    const model = await byName('electra-seq-cls');
    const f = fixtures.find((x) => x.name === 'electra-seq-cls');
    if (f === undefined) throw new Error('no electra fixture');
    const input = readFixtureInputs(f, model.config.padTokenId);
    const before = await computeEmbeddings(model.weights, model.config, input, { beforeProjection: true });
    expect(before.length).toBe(input.batchSize * input.sequenceLength * 16);
    // Projecting it by hand gives hidden_states.0.
    const w = await model.weights.readFloat32('embeddings.projection.weight');
    const b = await model.weights.readFloat32('embeddings.projection.bias');
    const projected = new Float32Array(input.batchSize * input.sequenceLength * 32);
    for (let t = 0; t < input.batchSize * input.sequenceLength; t++) {
      for (let o = 0; o < 32; o++) {
        let s = b[o] as number;
        for (let j = 0; j < 16; j++) s += (w[o * 16 + j] as number) * (before[t * 16 + j] as number);
        projected[t * 32 + o] = s;
      }
    }
    const golden = readFixtureExpected(f)?.get('hidden_states.0')?.data ?? [];
    expect(relativeError(projected, golden)).toBeLessThanOrEqual(1e-5);
  });
});

describe('positionIds', () => {
  it('counts 0…n−1 for sequential architectures, padding included', () => {
    const ids = Int32Array.of(101, 7, 102, 0, 0, 101, 9, 9, 9, 102);
    expect([...positionIds({ positionIds: 'sequential', padTokenId: 0 }, ids, 2, 5)]).toEqual([
      0, 1, 2, 3, 4, 0, 1, 2, 3, 4,
    ]);
  });

  it('follows create_position_ids_from_input_ids for RoBERTa: pad ids keep padTokenId, wherever they are', () => {
    const rules = { positionIds: 'padding-aware' as const, padTokenId: 1 };
    // cumsum(ids != 1) * (ids != 1) + 1, per row.
    expect([...positionIds(rules, Int32Array.of(0, 5, 6, 2, 1, 1), 1, 6)]).toEqual([2, 3, 4, 5, 1, 1]);
    expect([...positionIds(rules, Int32Array.of(0, 1, 6, 2, 0, 9, 2, 1), 2, 4)]).toEqual([
      2, 1, 3, 4, 2, 3, 4, 1,
    ]);
  });

  it('refuses ids of the wrong length', () => {
    expect(() =>
      positionIds({ positionIds: 'sequential', padTokenId: 0 }, Int32Array.of(1, 2, 3), 2, 2),
    ).toThrow(/expected batchSize × sequenceLength = 4/);
  });
});

describe('the quantize epilogue', () => {
  it('rounds half to even and clamps symmetrically to ±127', () => {
    const q = quantizeInt8(Float32Array.of(0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.26, -0.74, 1000, -1000), 1);
    expect([...q]).toEqual([0, 2, 2, 0, -2, -2, 0, -1, 127, -127]);
    expect(() => quantizeInt8(Float32Array.of(1), 0)).toThrow(/positive finite/);
  });

  it('returns int8 with its scale, and q · scale approximates the float output', async () => {
    const f = fixtures.find((x) => x.name === 'bert');
    if (f === undefined) throw new Error('no bert fixture');
    const model = await loadModel(f.dir, { tokenizer: false });
    const tables = await loadEmbeddingTables(model.weights, model.config);
    const input = readFixtureInputs(f, 0);
    const request = {
      tables,
      embeddingSize: 32,
      hiddenSize: 32,
      tokens: input.batchSize * input.sequenceLength,
      inputIds: input.inputIds,
      positionIds: positionIds(
        embeddingRules(model.config),
        input.inputIds,
        input.batchSize,
        input.sequenceLength,
      ),
      ...(input.tokenTypeIds === undefined ? {} : { tokenTypeIds: input.tokenTypeIds }),
      layerNormEps: model.config.layerNormEps,
    };
    const float = referenceFusedEmbedding.embed(request);
    expect(float.kind).toBe('float32');
    let max = 0;
    for (const v of float.data) max = Math.max(max, Math.abs(v));
    const scale = max / 127;
    const int8 = referenceFusedEmbedding.embed({ ...request, quantize: { scale } });
    expect(int8.kind).toBe('int8');
    if (int8.kind !== 'int8') return;
    expect(int8.scale).toBe(scale);
    const dequantized = Float32Array.from(int8.data, (q) => q * scale);
    // Rounding error is at most half a step.
    for (let i = 0; i < dequantized.length; i++) {
      expect(Math.abs((dequantized[i] as number) - (float.data[i] as number))).toBeLessThanOrEqual(
        scale / 2 + 1e-7,
      );
    }
  });

  it('refuses out-of-range ids instead of reading outside the tables', () => {
    const tables = {
      word: new Float32Array(4 * 2),
      position: new Float32Array(3 * 2),
      normWeight: Float32Array.of(1, 1),
      normBias: Float32Array.of(0, 0),
    };
    const base = { tables, embeddingSize: 2, hiddenSize: 2, tokens: 1, layerNormEps: 1e-12 };
    expect(() =>
      referenceFusedEmbedding.embed({ ...base, inputIds: Int32Array.of(4), positionIds: Int32Array.of(0) }),
    ).toThrow(/inputIds\[0\]/);
    expect(() =>
      referenceFusedEmbedding.embed({ ...base, inputIds: Int32Array.of(0), positionIds: Int32Array.of(3) }),
    ).toThrow(/positionIds\[0\]/);
  });
});
