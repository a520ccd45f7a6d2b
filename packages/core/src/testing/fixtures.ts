import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EncoderInput } from '../spec/encoder-backend';
import { type Float32Tensor, readSafetensorsSync } from './read-safetensors';

/**
 * The golden fixture models shipped with `@samp/core`: tiny random Hugging Face models with their
 * inputs and the outputs transformers computed for them (`packages/core/fixtures/models/`).
 */
// Both src/testing/ and dist/testing/ sit two levels below the package root.
export const fixturesDir: string = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/models');

/** How a fixture's weights are stored. */
export type FixtureWeightsFormat = 'safetensors' | 'sharded' | 'fp16' | 'pytorch_bin' | (string & {});

/** One entry of the fixture manifest, with its paths resolved. */
export interface FixtureModel {
  readonly name: string;
  readonly modelType: string;
  /** The transformers class that produced the expected outputs, e.g. `BertModel`. */
  readonly architecture: string | undefined;
  readonly weightsFormat: FixtureWeightsFormat | undefined;
  /** The model folder (config.json, weights, vocab). */
  readonly dir: string;
  /** The inputs file (`inputs.json`), if the fixture has one. */
  readonly inputsFile: string | undefined;
  /** The transformers outputs for those inputs (`expected.safetensors`), if the fixture has them. */
  readonly expectedFile: string | undefined;
  /** The manifest entry as written, extra fields included. */
  readonly entry: Readonly<Record<string, unknown>>;
}

/**
 * Reads `manifest.json` of a fixtures folder: `{ "models": [{ "name", "modelType", "architecture",
 * "weightsFormat", "inputs", "expected", … }] }`. Extra fields are kept in `entry`; a model's folder is
 * its `dir` field, else its `name`. Paths are resolved against the model folder.
 * @param dir the fixtures folder (default {@link fixturesDir}).
 * @throws Error naming the manifest when it is absent or malformed.
 * @example
 * for (const fixture of listFixtureModels()) console.log(fixture.name, fixture.dir);
 */
export function listFixtureModels(dir: string = fixturesDir): FixtureModel[] {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`${manifestFile}: the fixture manifest is missing`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { models?: unknown };
  if (!Array.isArray(manifest.models)) throw new Error(`${manifestFile}: expected a "models" array`);
  return manifest.models.map((raw, i) => {
    const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const str = (key: string): string | undefined =>
      typeof entry[key] === 'string' ? (entry[key] as string) : undefined;
    const name = str('name');
    if (name === undefined) throw new Error(`${manifestFile}: models[${i}].name: expected a string`);
    const modelDir = resolve(dir, str('dir') ?? str('path') ?? name);
    const file = (key: string): string | undefined => {
      const value = str(key);
      if (value === undefined) return undefined;
      return isAbsolute(value) ? value : join(modelDir, value);
    };
    return {
      name,
      modelType: str('modelType') ?? str('model_type') ?? 'unknown',
      architecture: str('architecture'),
      weightsFormat: str('weightsFormat'),
      dir: modelDir,
      inputsFile: file('inputs'),
      expectedFile: file('expected'),
      entry,
    };
  });
}

/**
 * A fixture's inputs as a padded batch. `inputs.json` holds `input_ids` (rows of token ids, ragged or
 * padded), optional `attention_mask` and `token_type_ids` (snake_case as transformers names them, or
 * camelCase). Ragged rows are right-padded with `padTokenId` to the longest row.
 * @throws Error naming the file when the fixture has no inputs or they are malformed.
 */
export function readFixtureInputs(fixture: FixtureModel, padTokenId = 0): EncoderInput {
  const file = fixture.inputsFile;
  if (file === undefined) throw new Error(`fixture ${fixture.name} has no inputs file`);
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const rows = (key: string, alt: string): number[][] | undefined => {
    const v = json[key] ?? json[alt];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((row) => Array.isArray(row) && row.every((x) => Number.isInteger(x)))) {
      throw new Error(`${file}: ${key}: expected an array of rows of integers`);
    }
    return v as number[][];
  };
  const ids = rows('input_ids', 'inputIds');
  if (ids === undefined || ids.length === 0) throw new Error(`${file}: input_ids: expected at least one row`);
  const mask = rows('attention_mask', 'attentionMask');
  const types = rows('token_type_ids', 'tokenTypeIds');
  const batchSize = ids.length;
  const sequenceLength = Math.max(...ids.map((r) => r.length));
  const size = batchSize * sequenceLength;
  const input: EncoderInput = {
    inputIds: new Int32Array(size).fill(padTokenId),
    attentionMask: new Int32Array(size),
    batchSize,
    sequenceLength,
  };
  if (types !== undefined) input.tokenTypeIds = new Int32Array(size);
  ids.forEach((row, b) => {
    row.forEach((id, s) => {
      input.inputIds[b * sequenceLength + s] = id;
      input.attentionMask[b * sequenceLength + s] = mask?.[b]?.[s] ?? 1;
      if (input.tokenTypeIds !== undefined) input.tokenTypeIds[b * sequenceLength + s] = types?.[b]?.[s] ?? 0;
    });
  });
  return input;
}

/**
 * A fixture's expected outputs by tensor name: `last_hidden_state` `[batch, seq, hidden]` and, when
 * present, `hidden_states.<i>` (transformers' `output_hidden_states`, embeddings first).
 * @returns `undefined` when the fixture has no expected outputs.
 */
export function readFixtureExpected(fixture: FixtureModel): Map<string, Float32Tensor> | undefined {
  return fixture.expectedFile === undefined ? undefined : readSafetensorsSync(fixture.expectedFile);
}
