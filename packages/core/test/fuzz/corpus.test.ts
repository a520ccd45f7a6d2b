import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SampError } from '../../src/errors/samp-error';
import { makeTempDir } from '../helpers/temp-dir';
import type { FuzzTarget } from './support/harness';
import { CORPUS } from './support/seeds';
import {
  configTarget,
  pickleSeeds,
  precisionPlanTarget,
  quantProfileTarget,
  safetensorsTarget,
  shardedTarget,
  tokenizerConfigTarget,
  tokenizerJsonTarget,
  torchCheckpointTarget,
  unpicklerTarget,
  vocabTxtTarget,
} from './support/targets';

/**
 * Replays the committed corpus (`corpus/<target>/<name>.<outcome>.bin`, written by
 * `scripts/make-fuzz-corpus.mjs`): the minimised inputs behind each bug the fuzzers found, and edge
 * cases. Each must end exactly as its name says: refused with that error code, or accepted.
 */
const temp = (name: string) => makeTempDir(`samp-corpus-${name}-`);
// biome-ignore lint/suspicious/noExplicitAny: targets differ only in their input type, unused here.
const targets: Record<string, FuzzTarget<any>> = {
  safetensors: safetensorsTarget(await temp('safetensors')),
  'sharded-index': shardedTarget(await temp('sharded')),
  config: configTarget(await temp('config')),
  'tokenizer-json': tokenizerJsonTarget(await temp('tokenizer-json')),
  'tokenizer-config': tokenizerConfigTarget(await temp('tokenizer-config')),
  'vocab-txt': vocabTxtTarget(await temp('vocab')),
  'quant-profile': quantProfileTarget(await temp('profile')),
  'precision-plan': precisionPlanTarget(await temp('plan')),
  'torch-checkpoint': await torchCheckpointTarget(await temp('torch')),
  unpickler: unpicklerTarget(await pickleSeeds()),
};

const cases = readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(CORPUS, d.name)).map((file) => [d.name, file] as const));

describe('fuzz corpus', () => {
  it('has a replayable case for each target it names', () => {
    expect(cases.length).toBeGreaterThan(30);
    for (const [target] of cases) expect(Object.keys(targets)).toContain(target);
  });

  it.each(cases)('%s/%s ends as its name says', async (target, file) => {
    const t = targets[target] as FuzzTarget<unknown>;
    const expected = /\.([A-Za-z_]+)\.bin$/.exec(file)?.[1];
    const bytes = new Uint8Array(readFileSync(join(CORPUS, target, file)));
    let outcome: string;
    const t0 = performance.now();
    try {
      const result = await t.parse(bytes);
      await t.check?.(result, bytes);
      outcome = 'accepted';
    } catch (error) {
      expect(SampError.isInstance(error), `not a SampError: ${String(error)}`).toBe(true);
      outcome = (error as SampError).code;
    }
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(outcome).toBe(expected);
  });
});
