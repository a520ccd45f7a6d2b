import { defineConfig } from 'tsup';
import { packageBuildConfig } from '../../tsup.config.base';

// shims: the binding loader finds build/Release from import.meta.url, which the CJS build lacks.
export default defineConfig({ ...packageBuildConfig(), shims: true });
