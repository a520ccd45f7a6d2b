import { InvalidArgumentError, NoBackendAvailableError } from '../errors';
import { type BackendProbe, type EncoderBackendV1, isEncoderBackendV1 } from '../spec/encoder-backend';

/**
 * Creates a backend on first use. Factories are lazy so that registering a backend never loads its
 * native binding; each is called at most once.
 */
export type BackendFactory = () => EncoderBackendV1 | Promise<EncoderBackendV1>;

/** A registered backend, as `listBackends` describes it. */
export interface RegisteredBackend {
  readonly name: string;
  /** Higher is tried first by `'auto'`; ties keep registration order. */
  readonly priority: number;
}

/** A backend `resolveBackend` passed over, and why. */
export interface SkippedBackend {
  readonly backend: string;
  readonly reason: string;
}

/** `'auto'`, one backend's name, or names to try in order. */
export type BackendRequest = 'auto' | (string & {}) | readonly string[];

/** The backend `resolveBackend` chose, its probe, and the backends it passed over. */
export interface ResolvedBackend {
  readonly backend: EncoderBackendV1;
  readonly probe: BackendProbe;
  readonly skipped: readonly SkippedBackend[];
}

interface RegistryEntry {
  readonly name: string;
  readonly priority: number;
  readonly order: number;
  readonly factory: BackendFactory;
  instance: Promise<EncoderBackendV1> | undefined;
}

interface RegistryState {
  readonly version: 1;
  readonly entries: Map<string, RegistryEntry>;
  nextOrder: number;
}

/**
 * Where the registry lives: on `globalThis` under this registered symbol, so that two copies of
 * `@samp/core` in one process (a backend resolving its own copy) share one registry.
 */
export const BACKEND_REGISTRY_KEY: unique symbol = Symbol.for('samp.backend-registry') as never;

function registry(): RegistryState {
  const holder = globalThis as unknown as Record<symbol, RegistryState | undefined>;
  let state = holder[BACKEND_REGISTRY_KEY];
  if (state === undefined) {
    state = { version: 1, entries: new Map(), nextOrder: 0 };
    Object.defineProperty(globalThis, BACKEND_REGISTRY_KEY, {
      value: state,
      enumerable: false,
      configurable: true,
    });
  }
  return state;
}

/**
 * Registers a backend under `name`; registering a name again replaces it (and forgets the instance the
 * old factory made).
 * @param name the name `resolveBackend` and users refer to (`cuda`, `cpu-vnni`).
 * @param factory creates the backend on first use; called at most once.
 * @param priority higher is tried first by `'auto'` (default 0).
 * @example
 * registerBackend('cpu-vnni', async () => (await import('./backend.js')).createCpuBackend(), 10);
 */
export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new InvalidArgumentError('name', 'expected a non-empty string');
  if (typeof factory !== 'function')
    throw new InvalidArgumentError('factory', 'expected a function returning a backend');
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw new InvalidArgumentError('priority', `expected a finite number, got ${String(priority)}`);
  }
  const state = registry();
  state.entries.set(name, { name, priority, order: state.nextOrder++, factory, instance: undefined });
}

/**
 * Removes a backend from the registry.
 * @returns whether a backend of that name was registered.
 */
export function unregisterBackend(name: string): boolean {
  return registry().entries.delete(name);
}

/** The registered backends in the order `'auto'` tries them (priority, then registration order). */
export function listBackends(): RegisteredBackend[] {
  return sortedEntries().map(({ name, priority }) => ({ name, priority }));
}

function sortedEntries(): RegistryEntry[] {
  return [...registry().entries.values()].sort((a, b) => b.priority - a.priority || a.order - b.order);
}

function instantiate(entry: RegistryEntry): Promise<EncoderBackendV1> {
  // Cache the promise (not the result) so concurrent resolutions share one factory call.
  entry.instance ??= (async () => {
    const backend = await entry.factory();
    if (!isEncoderBackendV1(backend)) {
      const version = (backend as { specificationVersion?: unknown } | null)?.specificationVersion;
      throw new Error(
        version !== undefined && version !== 'v1'
          ? `it implements backend specification ${String(version)}; this @samp/core supports v1`
          : 'its factory did not return an EncoderBackendV1',
      );
    }
    if (backend.name !== entry.name) {
      throw new Error(`its factory returned a backend named "${backend.name}"`);
    }
    return backend;
  })();
  return entry.instance;
}

type Attempt = { ok: true; backend: EncoderBackendV1; probe: BackendProbe } | { ok: false; reason: string };

async function attempt(entry: RegistryEntry): Promise<Attempt> {
  let backend: EncoderBackendV1;
  try {
    backend = await instantiate(entry);
  } catch (error) {
    return { ok: false, reason: `failed to load: ${messageOf(error)}` };
  }
  let probe: BackendProbe;
  try {
    probe = await backend.probe();
  } catch (error) {
    return { ok: false, reason: `probe failed: ${messageOf(error)}` };
  }
  if (probe?.status !== 'available') {
    return { ok: false, reason: `${String(probe?.status)}: ${probe?.reason ?? 'no reason given'}` };
  }
  return { ok: true, backend, probe };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Picks a backend. `'auto'` tries every registered backend by priority and returns the first whose
 * factory succeeds and whose probe says `available`, listing the others it passed over in `skipped`.
 * A list of names is tried in its own order the same way. A single name never falls back: if that
 * backend is not registered, fails to load, or is not available, its reason is thrown.
 * @param request `'auto'` (default), a backend's name, or names to try in order.
 * @throws NoBackendAvailableError naming every backend tried and why it could not be used.
 * @example
 * const { backend, skipped } = await resolveBackend('auto');
 * // skipped: [{ backend: 'cuda', reason: 'unavailable: no CUDA driver' }]
 */
export async function resolveBackend(request: BackendRequest = 'auto'): Promise<ResolvedBackend> {
  const state = registry();
  let candidates: (RegistryEntry | string)[];
  if (request === 'auto') {
    candidates = sortedEntries();
    if (candidates.length === 0) {
      throw new NoBackendAvailableError([
        {
          backend: 'auto',
          reason:
            'no backend is registered (install and import @samp/encoder-cpu-vnni or @samp/encoder-cuda)',
        },
      ]);
    }
  } else if (typeof request === 'string') {
    candidates = [state.entries.get(request) ?? request];
  } else if (Array.isArray(request) && request.length > 0 && request.every((n) => typeof n === 'string')) {
    candidates = request.map((name) => state.entries.get(name) ?? name);
  } else {
    throw new InvalidArgumentError(
      'backend',
      "expected 'auto', a backend name, or a non-empty array of names",
    );
  }

  const skipped: SkippedBackend[] = [];
  for (const candidate of candidates) {
    if (typeof candidate === 'string') {
      const known = [...state.entries.keys()];
      skipped.push({
        backend: candidate,
        reason: `not registered (registered: ${known.length === 0 ? 'none' : known.join(', ')})`,
      });
      continue;
    }
    const result = await attempt(candidate);
    if (result.ok) return { backend: result.backend, probe: result.probe, skipped };
    skipped.push({ backend: candidate.name, reason: result.reason });
  }
  throw new NoBackendAvailableError(skipped);
}
