import { type FileHandle, open, stat } from 'node:fs/promises';
import { ModelFileNotFoundError } from '../errors/model-errors';

// Node reads at most this many bytes per call reliably (reads past 2 GiB may come back short).
const MAX_CHUNK = 1 << 30;

/**
 * Reads exactly `length` bytes at `position` into a fresh buffer of that size; `undefined` when the
 * file ends first. Loops, because one `read` may return fewer bytes than asked.
 */
export async function readRange(
  handle: FileHandle,
  position: number,
  length: number,
): Promise<Uint8Array | undefined> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const want = Math.min(length - done, MAX_CHUNK);
    const { bytesRead } = await handle.read(out, done, want, position + done);
    if (bytesRead === 0) return undefined;
    done += bytesRead;
  }
  return out;
}

/**
 * Opens `file` for reading and returns its handle and size; a missing path, or one that is not a
 * regular file, is a `ModelFileNotFoundError`.
 */
export async function openRegularFile(file: string): Promise<{ handle: FileHandle; size: number }> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new ModelFileNotFoundError({ file }, 'is not a regular file');
    size = info.size;
  } catch (error) {
    if (ModelFileNotFoundError.isInstance(error)) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ModelFileNotFoundError({ file }, 'the file does not exist', { cause: error });
    }
    throw error;
  }
  const handle = await open(file, 'r');
  return { handle, size };
}

/** Whether `file` exists and is a regular file (symbolic links followed, as in the Hugging Face cache). */
export async function isRegularFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    ) {
      return false;
    }
    throw error;
  }
}

/**
 * A counting semaphore: at most `limit` tasks run at once, so that reading every tensor of a model
 * with `Promise.all` does not exhaust file descriptors.
 */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}
