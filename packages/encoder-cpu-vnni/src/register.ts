// `import '@samp/encoder-cpu-vnni/register'`: registers the cpu backend with @samp/core's registry (the
// one side effect of this package). The addon loads only when the backend is first used.
import { registerBackend } from '@samp/core';
import { CPU_BACKEND_NAME, createCpuBackend } from './cpu-backend';

/** The registry priority of the cpu backend: below GPU backends, so `'auto'` prefers a GPU. */
export const CPU_BACKEND_PRIORITY = 10;

registerBackend(CPU_BACKEND_NAME, () => createCpuBackend(), CPU_BACKEND_PRIORITY);
