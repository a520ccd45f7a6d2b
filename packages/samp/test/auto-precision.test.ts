// pipeline({ precision: 'auto' }) on the trained SST-2 model and the CPU backend: calibration and the
// recommender run once, the plan and profile are cached next to the model (here: a temp folder), the
// second start reads them, and the chosen plan keeps agreement with fp32 within the requested drop.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePrecisionPlan, parseQuantProfile } from '@samp/core';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../src/pipeline';
import { readDev, TRAINED } from './support/dev-sets';

const dev = readDev(TRAINED.sst2, 96);
const calibrationData = dev.slice(0, 48).map((l) => l.text);
const served = dev.slice(48).map((l) => l.text);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("pipeline precision: 'auto'", () => {
  it('calibrates and recommends once, caches both files, and reads them on the second start', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'samp-auto-'));
    dirs.push(cacheDir);
    const options = {
      model: TRAINED.sst2,
      device: 'cpu',
      precision: 'auto',
      calibrationData,
      accuracyDrop: 0.02,
      batchSize: 16,
      threads: 1,
      cacheDir,
    } as const;
    const first = await pipeline('classification', options);
    const fp32 = await pipeline('classification', { model: TRAINED.sst2, device: 'cpu', threads: 1 });
    try {
      const auto = first.autoPrecision;
      expect(auto?.cached).toBe(false);
      const files = (await readdir(cacheDir)).sort();
      expect(files).toHaveLength(2);
      expect(files.some((f) => f.endsWith('.plan.json'))).toBe(true);
      // The cached files are valid documents for this model, with the recommender's prediction.
      const plan = parsePrecisionPlan(JSON.parse(await readFile(auto?.planFile ?? '', 'utf8')), 'plan');
      const profile = parseQuantProfile(
        JSON.parse(await readFile(auto?.profileFile ?? '', 'utf8')),
        'profile',
      );
      expect(plan.model.fingerprint).toBe(first.model.fingerprint);
      expect(profile.model.fingerprint).toBe(first.model.fingerprint);
      expect(plan.layers).toHaveLength(first.model.config.numHiddenLayers);
      expect(plan.predicted?.latencyMs).toBeGreaterThan(0);
      // On texts it never saw, the chosen plan agrees with fp32 on nearly every label.
      const a = await first(served);
      const b = await fp32(served);
      const agree = a.filter((r, i) => r.label === b[i]?.label).length / served.length;
      expect(agree).toBeGreaterThanOrEqual(0.9);
    } finally {
      await first.dispose();
      await fp32.dispose();
    }
    const t0 = performance.now();
    const second = await pipeline('classification', options);
    const secondMs = performance.now() - t0;
    try {
      expect(second.autoPrecision?.cached).toBe(true);
      expect(second.autoPrecision?.plan).toEqual(first.autoPrecision?.plan);
      expect(secondMs).toBeLessThan(5_000);
    } finally {
      await second.dispose();
    }
  });

  it('refuses too little data, tasks without logits, and plan/profile given alongside', async () => {
    await expect(
      pipeline('classification', {
        model: TRAINED.sst2,
        device: 'cpu',
        precision: 'auto',
        calibrationData: ['one'],
      }),
    ).rejects.toMatchObject({
      code: 'SAMP_INVALID_ARGUMENT',
      message: expect.stringMatching(/calibrationData/),
    });
    await expect(
      pipeline('token-classification', {
        model: TRAINED.cluener,
        device: 'cpu',
        precision: 'auto',
        calibrationData,
      }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/token-classification/) });
    await expect(
      pipeline('classification', {
        model: TRAINED.sst2,
        precision: 'auto',
        plan: 'plan.json',
        calibrationData,
      }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/not both/) });
  });
});
