import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BindingLoadError, BindingNotFoundError } from '../errors';
import { loadNativeAddon, nativeAddonCandidates } from './native-addon-loader';

const dir = mkdtempSync(join(tmpdir(), 'samp-addon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const addon = {
  backend: 'test',
  addonFile: 'samp_test.node',
  packageRoot: join(dir, 'package'),
  envVariable: 'SAMP_TEST_BINDING',
  abiVersion: 2,
  functions: ['probe'],
  buildCommand: 'build-it',
  buildNeeds: 'needs a compiler',
};

describe('loadNativeAddon', () => {
  it('lists every path tried and how to build when no addon exists', () => {
    expect(nativeAddonCandidates(addon, {})).toEqual([
      join(dir, 'package', 'build', 'Release', 'samp_test.node'),
      join(dir, 'package', 'build', 'Debug', 'samp_test.node'),
    ]);
    const error = (() => {
      try {
        loadNativeAddon(addon, {});
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(BindingNotFoundError);
    expect((error as BindingNotFoundError).pathsTried).toHaveLength(2);
    expect((error as Error).message).toContain('Fix: run `build-it` (needs a compiler)');
  });

  it('refuses a file that is not an addon, and a stale build, with BindingLoadError', () => {
    const notAddon = join(dir, 'broken.node');
    writeFileSync(notAddon, 'not a shared object');
    expect(() => loadNativeAddon(addon, { SAMP_TEST_BINDING: notAddon })).toThrow(BindingLoadError);
    // A CommonJS module stands in for an addon of another ABI version.
    const stale = join(dir, 'stale.cjs');
    writeFileSync(stale, 'module.exports = { abiVersion: 1, probe() {} };');
    expect(() => loadNativeAddon(addon, { SAMP_TEST_BINDING: stale })).toThrow(
      /abiVersion 1, this package needs 2/,
    );
    const incomplete = join(dir, 'incomplete.cjs');
    writeFileSync(incomplete, 'module.exports = { abiVersion: 2 };');
    expect(() => loadNativeAddon(addon, { SAMP_TEST_BINDING: incomplete })).toThrow(/lacks probe/);
  });

  it('loads a matching module once and returns the same object', () => {
    const good = join(dir, 'good.cjs');
    writeFileSync(good, 'module.exports = { abiVersion: 2, probe() { return 42; } };');
    const a = loadNativeAddon<{ probe(): number }>(addon, { SAMP_TEST_BINDING: good });
    expect(a.probe()).toBe(42);
    expect(loadNativeAddon(addon, { SAMP_TEST_BINDING: good })).toBe(a);
  });
});
