import { defineConfig } from 'tsup';
import { packageBuildConfig } from '../../tsup.config.base';

// shims: the binding loader finds build/Release from import.meta.url, which the CJS build lacks.
// Two entries: the side-effect-free index and `register`, which registers the backend.
export default defineConfig({
  ...packageBuildConfig({ index: 'src/index.ts', register: 'src/register.ts' }),
  shims: true,
});
