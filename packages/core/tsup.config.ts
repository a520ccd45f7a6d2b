import { defineConfig } from 'tsup';
import { packageBuildConfig } from '../../tsup.config.base';

// Two entries: the library, and `@samp/core/testing` (conformance suites) at dist/testing/index.*.
// The testing entry is exported for `import` only: vitest refuses to be require()d, so its CJS file
// is a by-product of the shared config that package.json does not expose. `shims` keeps that file's
// `import.meta.url` (used to find the fixtures) from being compiled to nothing.
export default defineConfig({
  ...packageBuildConfig({ index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' }),
  shims: true,
});
