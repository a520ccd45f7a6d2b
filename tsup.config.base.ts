import type { Options } from 'tsup';

/**
 * The one tsup configuration every package shares: ESM + CJS + type declarations.
 * @param entry the package's entry points (default `src/index.ts`).
 */
export function packageBuildConfig(entry: Record<string, string> | string[] = ['src/index.ts']): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
  };
}
