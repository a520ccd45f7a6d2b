import {
  type BackendProbe,
  type EncoderBackendV1,
  GpuUnavailableError,
  InvalidArgumentError,
  isEncoderBackendV1,
  NoBackendAvailableError,
  resolveBackend,
  SampError,
  type SkippedBackend,
} from '@samp/core';
import { BACKEND_PACKAGES } from '../backends/backend-packages';

/**
 * Where to run: `'auto'` (CUDA, else the CPU), `'cpu'` or `'cuda'` (never falls back), or devices /
 * backend names to try in this order (`['cuda', 'cpu']`, `['my-npu']`).
 */
export type DeviceRequest = 'auto' | 'cpu' | 'cuda' | readonly string[];

/**
 * Where the pipeline says what it decided (which backend, which were skipped and why). Every method is
 * optional, so `console` fits; samp never prints by itself.
 */
export interface PipelineLogger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
}

/** Imports a module by specifier (injectable for tests); default: dynamic `import()`. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** Backends to choose from instead of the installed backend packages. */
  readonly backends?: readonly EncoderBackendV1[];
  readonly logger?: PipelineLogger;
  readonly importer?: ModuleImporter;
}

/** The backend chosen, its probe, and the ones passed over with their reasons. */
export interface SelectedBackend {
  readonly backend: EncoderBackendV1;
  readonly probe: BackendProbe;
  readonly skipped: readonly SkippedBackend[];
}

type Attempt = { ok: true; backend: EncoderBackendV1; probe: BackendProbe } | { ok: false; reason: string };

interface Candidate {
  /** The name skip reasons are listed under. */
  readonly label: string;
  attempt(): Promise<Attempt>;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The rank `'auto'` tries devices in: CUDA first, then the CPU, then anything else. */
const deviceRank = (device: string): number => (device === 'cuda' ? 0 : device === 'cpu' ? 1 : 2);

async function probeBackend(backend: EncoderBackendV1): Promise<Attempt> {
  let probe: BackendProbe;
  try {
    probe = await backend.probe();
  } catch (error) {
    // The spec says probes never throw; one that does is reported, not propagated.
    return { ok: false, reason: `probe failed: ${messageOf(error)}` };
  }
  if (probe?.status !== 'available')
    return { ok: false, reason: `${String(probe?.status)}: ${probe?.reason ?? 'no reason given'}` };
  return { ok: true, backend, probe };
}

/** Whether `error` says that `specifier` itself (not something it imports) could not be found. */
export function isModuleMissing(error: unknown, specifier: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = messageOf(error);
  const packageName = specifier.split('/').slice(0, 2).join('/');
  if (!message.includes(packageName)) return false;
  if (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    code === 'ERR_PACKAGE_PATH_NOT_EXPORTED'
  )
    return true;
  // Vite (vitest) words these without a code.
  return /Cannot find (module|package)|Failed to (load|resolve)|is not exported|Missing ".*" specifier/.test(
    message,
  );
}

function injectedCandidates(request: DeviceRequest, backends: readonly EncoderBackendV1[]): Candidate[] {
  backends.forEach((b, i) => {
    if (!isEncoderBackendV1(b))
      throw new InvalidArgumentError(
        `backends[${i}]`,
        'expected an EncoderBackendV1 (specificationVersion "v1")',
      );
  });
  const candidate = (b: EncoderBackendV1): Candidate => ({ label: b.name, attempt: () => probeBackend(b) });
  if (request === 'auto') {
    return backends
      .map((b, i) => ({ b, i }))
      .sort((x, y) => deviceRank(x.b.device) - deviceRank(y.b.device) || x.i - y.i)
      .map(({ b }) => candidate(b));
  }
  const wanted = typeof request === 'string' ? [request] : request;
  const chosen: EncoderBackendV1[] = [];
  for (const w of wanted)
    for (const b of backends) if ((b.device === w || b.name === w) && !chosen.includes(b)) chosen.push(b);
  if (chosen.length === 0) {
    const have = backends.map((b) => `${b.name} (${b.device})`).join(', ') || 'none';
    return wanted.map((w) => ({
      label: w,
      attempt: async () => ({ ok: false, reason: `no injected backend runs on "${w}" (injected: ${have})` }),
    }));
  }
  return chosen.map(candidate);
}

/** A backend package samp knows (`@samp/encoder-cuda`, `@samp/encoder-cpu-vnni`), found at run time. */
function peerCandidate(device: string, packageName: string, importer: ModuleImporter): Candidate {
  const entry = `${packageName}/register`;
  return {
    label: device,
    async attempt() {
      try {
        // The register entry adds the backend to @samp/core's registry under its device's name.
        await importer(entry);
      } catch (error) {
        if (!isModuleMissing(error, entry))
          return { ok: false, reason: `${entry} failed to load: ${messageOf(error)}` };
        return { ok: false, reason: await whyNoRegisterEntry(packageName, importer) };
      }
      return fromRegistry(device);
    },
  };
}

async function whyNoRegisterEntry(packageName: string, importer: ModuleImporter): Promise<string> {
  let module: { probe?: () => Promise<BackendProbe> };
  try {
    module = (await importer(packageName)) as typeof module;
  } catch (error) {
    if (isModuleMissing(error, packageName)) return `${packageName} is not installed`;
    return `${packageName} failed to load: ${messageOf(error)}`;
  }
  let probe = '';
  if (typeof module.probe === 'function') {
    try {
      const p = await module.probe();
      probe = `; its probe says ${p.status}${p.reason === undefined ? '' : `: ${p.reason}`}`;
    } catch (error) {
      probe = `; its probe failed: ${messageOf(error)}`;
    }
  }
  return `${packageName} is installed but provides no encoder backend yet (no ./register entry)${probe}`;
}

async function fromRegistry(name: string): Promise<Attempt> {
  try {
    const { backend, probe } = await resolveBackend(name);
    return { ok: true, backend, probe };
  } catch (error) {
    // resolveBackend names one backend, so its NoBackendAvailableError carries exactly that reason.
    const reasons = SampError.isInstance(error)
      ? (error as { reasons?: readonly SkippedBackend[] }).reasons
      : undefined;
    if (reasons !== undefined && reasons.length > 0)
      return { ok: false, reason: reasons.map((r) => r.reason).join('; ') };
    return { ok: false, reason: messageOf(error) };
  }
}

function discoveredCandidates(request: DeviceRequest, importer: ModuleImporter): Candidate[] {
  const peers = new Map<string, string>(BACKEND_PACKAGES.map((p) => [p.device, p.packageName]));
  const forName = (name: string): Candidate => {
    const packageName = peers.get(name);
    // Anything but cpu/cuda is a backend a third party registered with @samp/core's registry.
    return packageName === undefined
      ? { label: name, attempt: () => fromRegistry(name) }
      : peerCandidate(name, packageName, importer);
  };
  if (request === 'auto') return BACKEND_PACKAGES.map((p) => forName(p.device));
  return (typeof request === 'string' ? [request] : [...new Set(request)]).map(forName);
}

function checkRequest(request: unknown): asserts request is DeviceRequest {
  if (request === 'auto' || request === 'cpu' || request === 'cuda') return;
  if (Array.isArray(request) && request.length > 0 && request.every((d) => typeof d === 'string' && d !== ''))
    return;
  throw new InvalidArgumentError(
    'device',
    `expected 'auto', 'cpu', 'cuda' or a non-empty array of devices or backend names, got ${JSON.stringify(request)}`,
  );
}

/**
 * Chooses the backend a pipeline runs on. With `backends`, among those; otherwise among the backend
 * packages installed (`@samp/encoder-cuda`, `@samp/encoder-cpu-vnni`, imported at run time through their
 * `./register` entries) and backends registered with `@samp/core`'s registry. `'auto'` tries CUDA, then
 * the CPU, and tells `logger.info` why each backend it passed over could not be used. A device named
 * alone never falls back; a list is tried in its order.
 * @throws GpuUnavailableError when `'cuda'` was asked for and cannot be used (with the reason).
 * @throws NoBackendAvailableError naming every backend tried and why, otherwise.
 * @example
 * const { backend, skipped } = await selectBackend('auto', { logger: console });
 */
export async function selectBackend(
  request: DeviceRequest,
  options: SelectBackendOptions = {},
): Promise<SelectedBackend> {
  checkRequest(request);
  const importer: ModuleImporter = options.importer ?? ((specifier) => import(specifier));
  const candidates =
    options.backends === undefined
      ? discoveredCandidates(request, importer)
      : injectedCandidates(request, options.backends);
  const skipped: SkippedBackend[] = [];
  const logger = options.logger;
  for (const candidate of candidates) {
    const result = await candidate.attempt();
    if (result.ok) {
      logger?.debug?.(
        `samp: running on the ${result.backend.name} backend (${result.backend.device})${
          skipped.length > 0 ? ` after skipping ${skipped.map((s) => s.backend).join(', ')}` : ''
        }`,
      );
      return { backend: result.backend, probe: result.probe, skipped };
    }
    skipped.push({ backend: candidate.label, reason: result.reason });
    // A named device does not fall back, so there is nothing to say until the error.
    if (typeof request !== 'string' || request === 'auto')
      logger?.info?.(`samp: skipped the ${candidate.label} backend: ${result.reason}`);
  }
  if (request === 'cuda') throw new GpuUnavailableError(skipped.map((s) => s.reason).join('; '));
  throw new NoBackendAvailableError(skipped);
}
