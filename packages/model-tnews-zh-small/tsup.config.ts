import { defineConfig } from 'tsup';
import { packageBuildConfig } from '../../tsup.config.base';

// shims: import.meta.url also works in the CommonJS build.
export default defineConfig({ ...packageBuildConfig(), shims: true });
