import { defineConfig } from 'tsup';
import { packageBuildConfig } from '../../tsup.config.base';

export default defineConfig([
  packageBuildConfig(['src/index.ts']),
  // The CLI is an ESM executable only.
  {
    ...packageBuildConfig({ cli: 'src/cli/main.ts' }),
    format: ['esm'],
    dts: false,
    clean: false,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
