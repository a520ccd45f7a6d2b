import { defineConfig } from 'vitest/config';

// One config for the whole repo. The `source` condition makes workspace packages resolve to
// their TypeScript sources, so tests never depend on a stale build.
export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
