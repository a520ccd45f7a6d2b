import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidPlanError, InvalidProfileError } from '../errors';
import type { PrecisionPlan } from './precision-plan';
import { readPrecisionPlan, serializePrecisionPlan, writePrecisionPlan } from './precision-plan-file';
import { mutate, validPlan, validProfile } from './quant-documents.test-helper';
import type { QuantProfile } from './quant-profile';
import { readQuantProfile, serializeQuantProfile, writeQuantProfile } from './quant-profile-file';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samp-quant-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('QuantProfile and PrecisionPlan files', () => {
  it('round-trips a profile and a plan, leaving no temp file', async () => {
    const profileFile = join(dir, 'profile.json');
    const planFile = join(dir, 'plan.json');
    await writeQuantProfile(profileFile, validProfile());
    await writePrecisionPlan(planFile, validPlan());
    expect(await readQuantProfile(profileFile)).toEqual(validProfile());
    expect(await readPrecisionPlan(planFile)).toEqual(validPlan());
    expect((await readdir(dir)).sort()).toEqual(['plan.json', 'profile.json']);
  });

  it('writes the same bytes whatever the key order of the object', async () => {
    const shuffled = Object.fromEntries(Object.entries(validProfile()).reverse()) as unknown as QuantProfile;
    shuffled.activations = Object.fromEntries(Object.entries(shuffled.activations).reverse());
    expect(serializeQuantProfile(shuffled)).toBe(serializeQuantProfile(validProfile()));
    const plan = Object.fromEntries(Object.entries(validPlan()).reverse()) as unknown as PrecisionPlan;
    expect(serializePrecisionPlan(plan)).toBe(serializePrecisionPlan(validPlan()));
    const text = serializePrecisionPlan(validPlan());
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.indexOf('"format"')).toBeLessThan(text.indexOf('"layers"'));
  });

  it('refuses to write an invalid document and leaves the existing file untouched', async () => {
    const file = join(dir, 'plan.json');
    await writePrecisionPlan(file, validPlan());
    const before = await readFile(file, 'utf8');
    const bad = mutate(validPlan(), (d) => (d.layers[0].precision = 'int4')) as PrecisionPlan;
    await expect(writePrecisionPlan(file, bad)).rejects.toBeInstanceOf(InvalidPlanError);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(await readdir(dir)).toEqual(['plan.json']);
  });

  it('removes its temp file when the rename fails, and clobbers nothing', async () => {
    // A non-empty folder where the file should go makes the final rename fail after the temp file
    // was written.
    const target = join(dir, 'profile.json');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'kept');
    await expect(writeQuantProfile(target, validProfile())).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['profile.json']);
    expect(await readFile(join(target, 'keep.txt'), 'utf8')).toBe('kept');
  });

  it('names the file when it is missing, not JSON, or invalid', async () => {
    const missing = join(dir, 'missing.json');
    await expect(readQuantProfile(missing)).rejects.toThrow(InvalidProfileError);
    await expect(readQuantProfile(missing)).rejects.toThrow(/missing\.json: cannot be read/);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "format": ');
    await expect(readPrecisionPlan(broken)).rejects.toThrow(/broken\.json: is not valid JSON/);
    const wrong = join(dir, 'wrong.json');
    await writeFile(wrong, JSON.stringify(mutate(validPlan(), (d) => (d.layers[1].precision = 'int4'))));
    const error = (await readPrecisionPlan(wrong).catch((e: unknown) => e)) as InvalidPlanError;
    expect(error.source).toBe(wrong);
    expect(error.field).toBe('layers[1].precision');
  });
});
