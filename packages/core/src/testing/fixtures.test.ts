import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { relativeError } from './compare';
import { fixturesDir, listFixtureModels, readFixtureExpected, readFixtureInputs } from './fixtures';
import { readSafetensorsSync } from './read-safetensors';

const dir = mkdtempSync(join(tmpdir(), 'samp-fixtures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A safetensors file from named tensors of raw little-endian bytes. */
function safetensors(tensors: Record<string, { dtype: string; shape: number[]; bytes: Buffer }>): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...Object.values(tensors).map((t) => t.bytes)]);
}

describe('fixtures', () => {
  it('points at packages/core/fixtures/models', () => {
    expect(fixturesDir).toBe(resolve(__dirname, '../../fixtures/models'));
  });

  it("reads samp's own golden fixtures: inputs and expected outputs agree", () => {
    const models = listFixtureModels();
    expect(models.length).toBeGreaterThan(0);
    for (const fixture of models) {
      const input = readFixtureInputs(fixture);
      const expected = readFixtureExpected(fixture)?.get('last_hidden_state');
      const hidden = fixture.entry.hiddenSize;
      expect(expected?.shape, fixture.name).toEqual([input.batchSize, input.sequenceLength, hidden]);
    }
  });

  it('reads the manifest, tolerating extra fields', () => {
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        generator: { transformers: '4.44.0' },
        models: [
          {
            name: 'bert',
            modelType: 'bert',
            architecture: 'BertModel',
            weightsFormat: 'safetensors',
            inputs: 'inputs.json',
            expected: 'expected.safetensors',
            seed: 0,
          },
          { name: 'roberta-sharded', dir: 'roberta', modelType: 'roberta', weightsFormat: 'sharded' },
        ],
      }),
    );
    const [bert, roberta] = listFixtureModels(dir);
    expect(bert).toMatchObject({
      name: 'bert',
      modelType: 'bert',
      architecture: 'BertModel',
      weightsFormat: 'safetensors',
      dir: join(dir, 'bert'),
      inputsFile: join(dir, 'bert', 'inputs.json'),
      expectedFile: join(dir, 'bert', 'expected.safetensors'),
    });
    expect(bert?.entry.seed).toBe(0);
    expect(roberta).toMatchObject({
      dir: join(dir, 'roberta'),
      inputsFile: undefined,
      expectedFile: undefined,
    });
  });

  it('names the manifest when it is missing or malformed', () => {
    expect(() => listFixtureModels(join(dir, 'nowhere'))).toThrow(
      /manifest\.json: the fixture manifest is missing/,
    );
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'manifest.json'), '{"models": {}}');
    expect(() => listFixtureModels(bad)).toThrow(/expected a "models" array/);
  });

  it('pads ragged inputs into a batch', () => {
    const model = join(dir, 'bert');
    mkdirSync(model, { recursive: true });
    writeFileSync(
      join(model, 'inputs.json'),
      JSON.stringify({
        input_ids: [
          [101, 7, 8, 102],
          [101, 9, 102],
        ],
        token_type_ids: [
          [0, 0, 1, 1],
          [0, 0, 0],
        ],
      }),
    );
    const fixture = listFixtureModels(dir)[0];
    if (fixture === undefined) throw new Error('no fixture');
    const input = readFixtureInputs(fixture, 0);
    expect(input.batchSize).toBe(2);
    expect(input.sequenceLength).toBe(4);
    expect([...input.inputIds]).toEqual([101, 7, 8, 102, 101, 9, 102, 0]);
    expect([...input.attentionMask]).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
    expect([...(input.tokenTypeIds ?? [])]).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);

    writeFileSync(
      join(model, 'inputs.json'),
      JSON.stringify({ inputIds: [[1, 2, 3]], attentionMask: [[1, 1, 0]] }),
    );
    const camel = readFixtureInputs(fixture);
    expect([...camel.attentionMask]).toEqual([1, 1, 0]);
    expect(camel.tokenTypeIds).toBeUndefined();
  });

  it('reads expected outputs stored as F32, F16 or BF16', () => {
    const f32 = Buffer.alloc(8);
    f32.writeFloatLE(1.5, 0);
    f32.writeFloatLE(-2.25, 4);
    const f16 = Buffer.alloc(6);
    f16.writeUInt16LE(0x3c00, 0); // 1
    f16.writeUInt16LE(0xc000, 2); // -2
    f16.writeUInt16LE(0x0001, 4); // smallest subnormal
    const bf16 = Buffer.alloc(2);
    bf16.writeUInt16LE(0x3fc0, 0); // 1.5
    writeFileSync(
      join(dir, 'bert', 'expected.safetensors'),
      safetensors({
        last_hidden_state: { dtype: 'F32', shape: [1, 1, 2], bytes: f32 },
        half: { dtype: 'F16', shape: [3], bytes: f16 },
        brain: { dtype: 'BF16', shape: [1], bytes: bf16 },
      }),
    );
    const fixture = listFixtureModels(dir)[0];
    const tensors = fixture === undefined ? undefined : readFixtureExpected(fixture);
    expect(tensors?.get('last_hidden_state')).toEqual({
      shape: [1, 1, 2],
      data: Float32Array.of(1.5, -2.25),
    });
    expect([...(tensors?.get('half')?.data ?? [])]).toEqual([1, -2, Math.fround(2 ** -24)]);
    expect([...(tensors?.get('brain')?.data ?? [])]).toEqual([1.5]);
    expect(tensors?.has('__metadata__')).toBe(false);
    const fixture2 = listFixtureModels(dir)[1];
    expect(fixture2 === undefined ? 'none' : readFixtureExpected(fixture2)).toBeUndefined();
    writeFileSync(
      join(dir, 'i8.safetensors'),
      safetensors({ q: { dtype: 'I8', shape: [1], bytes: Buffer.alloc(1) } }),
    );
    expect(() => readSafetensorsSync(join(dir, 'i8.safetensors'))).toThrow(/dtype I8/);
  });

  it('measures relative error over selected positions', () => {
    expect(relativeError([1, 2, 4], [1, 2, 4])).toBe(0);
    expect(relativeError([1, 2, 4.04], [1, 2, 4])).toBeCloseTo(0.01, 10);
    expect(relativeError([1, 99, 4], [1, 2, 4], (i) => i !== 1)).toBe(0);
    expect(relativeError([Number.NaN], [1])).toBe(Number.POSITIVE_INFINITY);
    expect(relativeError([1], [1, 2])).toBe(Number.POSITIVE_INFINITY);
  });
});
