import { defineConfig } from 'tsup';
import { packageBuildConfig } from '../../tsup.config.base';

// The pool's worker is its own entry (dist/pool/worker.js and .cjs), found next to the main build at run
// time. `shims` gives the CJS build `import.meta.url` and the ESM build `__filename` (see defaultWorkerUrl).
export default defineConfig({
  ...packageBuildConfig({ index: 'src/index.ts', 'pool/worker': 'src/pool/worker.ts' }),
  shims: true,
});
