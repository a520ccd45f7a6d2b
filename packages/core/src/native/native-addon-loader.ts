import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { BindingLoadError, BindingNotFoundError } from '../errors';

/** How a backend package finds and checks its Node-API addon. */
export interface NativeAddonDescription {
  /** The backend's name, for error messages (`cpu-vnni`, `cuda`). */
  readonly backend: string;
  /** The addon's file name (`samp_cpu.node`). */
  readonly addonFile: string;
  /** The package's root folder; the addon is looked for in its `build/Release` and `build/Debug`. */
  readonly packageRoot: string;
  /** An environment variable that, when set, names the addon file to load instead. */
  readonly envVariable: string;
  /** The `abiVersion` the package's TypeScript expects the addon to export. */
  readonly abiVersion: number;
  /** Functions the addon must export. */
  readonly functions: readonly string[];
  /** The command that builds the addon, quoted in every error. */
  readonly buildCommand: string;
  /** What building needs (e.g. "needs CMake >= 3.24 and a C++17 compiler"), added to the fix. */
  readonly buildNeeds: string;
}

const requireAddon = createRequire(import.meta.url);
// One cache for every package: the same file is loaded once per process.
const loaded = new Map<string, unknown>();

/**
 * The paths the loader tries, in order: `$envVariable` alone when it is set, otherwise the package's
 * `build/Release/<addonFile>` then `build/Debug/<addonFile>`.
 */
export function nativeAddonCandidates(
  addon: Pick<NativeAddonDescription, 'addonFile' | 'packageRoot' | 'envVariable'>,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const override = env[addon.envVariable];
  if (override) return [resolve(override)];
  return ['Release', 'Debug'].map((config) => join(addon.packageRoot, 'build', config, addon.addonFile));
}

/**
 * Loads a backend's Node-API addon from the first candidate that exists, once per process, and checks
 * its ABI version and exports (one loader for every backend package, as sharp does).
 * @throws BindingNotFoundError listing every path tried and how to build the addon.
 * @throws BindingLoadError when the file exists but does not load or is a stale build.
 */
export function loadNativeAddon<T>(addon: NativeAddonDescription, env: NodeJS.ProcessEnv = process.env): T {
  const candidates = nativeAddonCandidates(addon, env);
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    const fix = env[addon.envVariable]
      ? `${addon.envVariable} is set: point it at a built ${addon.addonFile}, or unset it to use the package's build (\`${addon.buildCommand}\`).`
      : `Fix: run \`${addon.buildCommand}\` (${addon.buildNeeds}), or set ${addon.envVariable} to a built ${addon.addonFile}.`;
    throw new BindingNotFoundError(addon.backend, candidates, fix);
  }
  const cached = loaded.get(path);
  if (cached !== undefined) return cached as T;

  let binding: Record<string, unknown>;
  try {
    binding = requireAddon(path) as Record<string, unknown>;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new BindingLoadError(addon.backend, path, `${reason}; rebuild with \`${addon.buildCommand}\``, {
      cause,
    });
  }
  const missing = addon.functions.filter((name) => typeof binding[name] !== 'function');
  if (binding.abiVersion !== addon.abiVersion || missing.length > 0) {
    throw new BindingLoadError(
      addon.backend,
      path,
      `it exports abiVersion ${String(binding.abiVersion)}${missing.length > 0 ? ` and lacks ${missing.join(', ')}` : ''}, this package needs ${addon.abiVersion} (a stale build?); rebuild with \`${addon.buildCommand}\``,
    );
  }
  loaded.set(path, binding);
  return binding as T;
}
