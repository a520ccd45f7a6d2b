import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/temp-dir';
import { fuzzTimeout, runFuzz } from './support/harness';
import { torchCheckpointTarget } from './support/targets';

const target = await torchCheckpointTarget(await makeTempDir('samp-fuzz-torch-checkpoint-'));

describe('fuzz: pytorch_model.bin zip archives (openTorchCheckpoint)', () => {
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
