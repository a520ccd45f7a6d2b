import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, NoBackendAvailableError } from '../errors';
import type { BackendProbe, EncoderBackendV1 } from '../spec/encoder-backend';
import {
  BACKEND_REGISTRY_KEY,
  listBackends,
  registerBackend,
  resolveBackend,
  unregisterBackend,
} from './backend-registry';

// Registry entries for the tests. They only answer probe(); resolveBackend never opens a session, so
// none of them computes anything.
function probed(name: string, probe: BackendProbe | (() => Promise<BackendProbe>)): EncoderBackendV1 {
  return {
    specificationVersion: 'v1',
    name,
    device: 'cpu',
    probe: typeof probe === 'function' ? probe : async () => probe,
    createSession: () => Promise.reject(new Error('not used by registry tests')),
  };
}
const available = (name: string) => probed(name, { status: 'available', details: {} });

const registered: string[] = [];
function register(
  name: string,
  factory: () => EncoderBackendV1 | Promise<EncoderBackendV1>,
  priority?: number,
): void {
  registered.push(name);
  registerBackend(name, factory, priority);
}

afterEach(() => {
  for (const name of registered.splice(0)) unregisterBackend(name);
});

describe('backend registry', () => {
  it('lists backends by priority, then registration order', () => {
    register('t-low', () => available('t-low'), -1);
    register('t-a', () => available('t-a'), 5);
    register('t-b', () => available('t-b'), 5);
    register('t-default', () => available('t-default'));
    expect(listBackends()).toEqual([
      { name: 't-a', priority: 5 },
      { name: 't-b', priority: 5 },
      { name: 't-default', priority: 0 },
      { name: 't-low', priority: -1 },
    ]);
  });

  it("'auto' takes the highest-priority available backend", async () => {
    register('t-cpu', () => available('t-cpu'), 1);
    register('t-gpu', () => available('t-gpu'), 10);
    const { backend, skipped, probe } = await resolveBackend('auto');
    expect(backend.name).toBe('t-gpu');
    expect(probe.status).toBe('available');
    expect(skipped).toEqual([]);
    expect((await resolveBackend()).backend.name).toBe('t-gpu');
  });

  it('calls each factory lazily and once, even for concurrent resolutions', async () => {
    const factory = vi.fn(async () => available('t-lazy'));
    register('t-lazy', factory);
    expect(factory).not.toHaveBeenCalled();
    const [a, b] = await Promise.all([resolveBackend('t-lazy'), resolveBackend('t-lazy')]);
    await resolveBackend('auto');
    expect(factory).toHaveBeenCalledTimes(1);
    expect(a.backend).toBe(b.backend);
  });

  it("'auto' skips, with reasons, factories that throw, probes that are not available or that throw", async () => {
    register(
      't-throws',
      () => {
        throw new Error('binding not found');
      },
      40,
    );
    register('t-rejects', () => Promise.reject(new Error('bad ABI')), 35);
    register(
      't-unavailable',
      () => probed('t-unavailable', { status: 'unavailable', reason: 'no CUDA driver', details: {} }),
      30,
    );
    register('t-not-built', () => probed('t-not-built', { status: 'not-built', details: {} }), 25);
    register(
      't-probe-throws',
      () => probed('t-probe-throws', () => Promise.reject(new Error('cpuid crashed'))),
      20,
    );
    register(
      't-wrong-version',
      () => ({ ...available('t-wrong-version'), specificationVersion: 'v2' }) as unknown as EncoderBackendV1,
      15,
    );
    register('t-wrong-name', () => available('other'), 12);
    register('t-ok', () => available('t-ok'), 10);
    const { backend, skipped } = await resolveBackend('auto');
    expect(backend.name).toBe('t-ok');
    expect(skipped).toEqual([
      { backend: 't-throws', reason: 'failed to load: binding not found' },
      { backend: 't-rejects', reason: 'failed to load: bad ABI' },
      { backend: 't-unavailable', reason: 'unavailable: no CUDA driver' },
      { backend: 't-not-built', reason: 'not-built: no reason given' },
      { backend: 't-probe-throws', reason: 'probe failed: cpuid crashed' },
      {
        backend: 't-wrong-version',
        reason: 'failed to load: it implements backend specification v2; this @samp/core supports v1',
      },
      { backend: 't-wrong-name', reason: 'failed to load: its factory returned a backend named "other"' },
    ]);
  });

  it('never falls back from an explicitly named backend', async () => {
    register('t-gpu', () => probed('t-gpu', { status: 'unavailable', reason: 'no GPU', details: {} }), 10);
    register('t-cpu', () => available('t-cpu'), 1);
    const error = await resolveBackend('t-gpu').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoBackendAvailableError);
    expect((error as NoBackendAvailableError).reasons).toEqual([
      { backend: 't-gpu', reason: 'unavailable: no GPU' },
    ]);
    const missing = await resolveBackend('t-nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NoBackendAvailableError);
    expect((missing as NoBackendAvailableError).reasons[0]?.reason).toMatch(
      /^not registered \(registered: .*t-gpu/,
    );
  });

  it('tries a list of names in its own order', async () => {
    register('t-gpu', () => probed('t-gpu', { status: 'unavailable', reason: 'no GPU', details: {} }), 10);
    register('t-cpu', () => available('t-cpu'), 1);
    register('t-other', () => available('t-other'), 100);
    const { backend, skipped } = await resolveBackend(['t-missing', 't-gpu', 't-cpu']);
    expect(backend.name).toBe('t-cpu');
    expect(skipped.map((s) => s.backend)).toEqual(['t-missing', 't-gpu']);
    await expect(resolveBackend([])).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('throws NoBackendAvailableError listing every backend and its reason', async () => {
    register('t-a', () => probed('t-a', { status: 'unavailable', reason: 'no GPU', details: {} }), 2);
    register(
      't-b',
      () => {
        throw new Error('binding not found at build/Release/samp.node');
      },
      1,
    );
    const error = (await resolveBackend('auto').catch((e: unknown) => e)) as NoBackendAvailableError;
    expect(error).toBeInstanceOf(NoBackendAvailableError);
    expect(error.code).toBe('SAMP_NO_BACKEND');
    expect(error.reasons).toEqual([
      { backend: 't-a', reason: 'unavailable: no GPU' },
      { backend: 't-b', reason: 'failed to load: binding not found at build/Release/samp.node' },
    ]);
    expect(error.message).toContain('t-a: unavailable: no GPU');
    expect(error.message).toContain('t-b: failed to load');
  });

  it('says so when nothing is registered', async () => {
    const existing = listBackends();
    if (existing.length > 0) return; // another copy registered real backends in this process
    const error = (await resolveBackend('auto').catch((e: unknown) => e)) as NoBackendAvailableError;
    expect(error).toBeInstanceOf(NoBackendAvailableError);
    expect(error.reasons[0]?.reason).toContain('no backend is registered');
  });

  it('replaces a re-registered name and forgets its old instance', async () => {
    register('t-re', () => available('t-re'));
    const first = (await resolveBackend('t-re')).backend;
    register('t-re', () => available('t-re'), 3);
    const second = (await resolveBackend('t-re')).backend;
    expect(second).not.toBe(first);
    expect(listBackends().find((b) => b.name === 't-re')?.priority).toBe(3);
    expect(unregisterBackend('t-re')).toBe(true);
    expect(unregisterBackend('t-re')).toBe(false);
  });

  it('validates its arguments', () => {
    expect(() => registerBackend('', () => available('x'))).toThrow(InvalidArgumentError);
    expect(() => registerBackend('x', 'nope' as never)).toThrow(InvalidArgumentError);
    expect(() => registerBackend('x', () => available('x'), Number.NaN)).toThrow(InvalidArgumentError);
  });

  it('lives on globalThis under Symbol.for, shared by a second copy of the module', async () => {
    expect(BACKEND_REGISTRY_KEY).toBe(Symbol.for('samp.backend-registry'));
    register('t-shared', () => available('t-shared'), 7);
    const state = (globalThis as unknown as Record<symbol, { entries: Map<string, unknown> }>)[
      Symbol.for('samp.backend-registry')
    ];
    expect(state?.entries.has('t-shared')).toBe(true);

    // A fresh evaluation of the module stands for a second copy of @samp/core in node_modules.
    vi.resetModules();
    const copy = await import('./backend-registry');
    expect(copy.registerBackend).not.toBe(registerBackend);
    expect(copy.listBackends()).toContainEqual({ name: 't-shared', priority: 7 });
    copy.registerBackend('t-from-copy', () => available('t-from-copy'), 6);
    registered.push('t-from-copy');
    expect((await resolveBackend('t-from-copy')).backend.name).toBe('t-from-copy');
  });
});
