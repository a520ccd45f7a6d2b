import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/temp-dir';
import { fuzzTimeout, runFuzz } from './support/harness';
import { shardedTarget } from './support/targets';

const target = shardedTarget(await makeTempDir('samp-fuzz-sharded-index-'));

describe('fuzz: model.safetensors.index.json (openShardedSafetensors)', () => {
  it(
    'every mutated input is accepted or refused with a SampError, in bounded time and memory',
    async () => {
      const stats = await runFuzz(target);
      // The mutations must reach past the first check: some inputs are accepted, several kinds refused.
      expect(stats.accepted).toBeGreaterThan(0);
      expect(Object.keys(stats.refusedByCode).length).toBeGreaterThan(0);
    },
    fuzzTimeout(target.ciRuns),
  );
});
