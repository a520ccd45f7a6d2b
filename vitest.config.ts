import { defineConfig } from 'vitest/config';

// One config for the whole repo. The `source` condition makes workspace packages resolve to
// their TypeScript sources, so tests never depend on a stale build. Vitest runs tests in Vite's SSR
// environment, which takes its conditions from `ssr.resolve`, not from the top-level `resolve`.
const conditions = ['source', 'import', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
