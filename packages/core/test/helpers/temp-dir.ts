import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

/** Creates a fresh temporary folder, removed after the test file's tests. */
export async function makeTempDir(prefix = 'samp-weights-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes `bytes` (or text) to `dir/name`, creating sub-folders, and returns the path. */
export async function writeIn(dir: string, name: string, bytes: Uint8Array | string): Promise<string> {
  const file = join(dir, name);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return file;
}
