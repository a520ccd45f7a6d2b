// Which branch the GPU tests take: the driver's device node decides (as probe.test.ts does). Without
// it every suite asserts that the backend is unavailable for the driver's reason; with it the GPU
// branch runs and must pass. Nothing is skipped silently either way.
import { existsSync } from 'node:fs';

/** True on a machine with an NVIDIA driver (the GPU machine); false on CI. */
export const hasDriver = existsSync('/dev/nvidiactl');
