// `import '@samp/encoder-cuda/register'`: registers the cuda backend with @samp/core's registry (the one
// side effect of this package). The addon loads only when the backend is first used.
import { registerBackend } from '@samp/core';
import { CUDA_BACKEND_NAME, createCudaBackend } from './cuda-backend';

/** The registry priority of the cuda backend: above the CPU backends, so `'auto'` prefers a GPU. */
export const CUDA_BACKEND_PRIORITY = 20;

registerBackend(CUDA_BACKEND_NAME, () => createCudaBackend(), CUDA_BACKEND_PRIORITY);
