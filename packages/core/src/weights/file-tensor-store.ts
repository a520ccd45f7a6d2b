import { type FileHandle, open } from 'node:fs/promises';
import { InvalidArgumentError } from '../errors/runtime-errors';
import { toFloat32 } from './dtype';
import { createLimiter, readRange } from './file-range';
import type { SkippedTensor, TensorInfo, TensorStore } from './tensor-store';

/** Builds the error thrown when a tensor's bytes cannot be read (the file shrank since it was opened). */
export type TensorReadErrorFactory = (info: TensorInfo, problem: string, cause?: unknown) => Error;

const limit = createLimiter(32);

/**
 * A `TensorStore` over already-validated `TensorInfo`s: each read opens the tensor's file, reads
 * exactly its byte range into a fresh buffer and closes the file, so no handle outlives a read.
 */
export class FileTensorStore implements TensorStore {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly files: readonly string[];
  readonly skipped: readonly SkippedTensor[];
  readonly #makeError: TensorReadErrorFactory;

  constructor(
    tensors: ReadonlyMap<string, TensorInfo>,
    files: readonly string[],
    makeError: TensorReadErrorFactory,
    skipped: readonly SkippedTensor[] = [],
  ) {
    this.tensors = tensors;
    this.files = files;
    this.skipped = skipped;
    this.#makeError = makeError;
  }

  #info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (info === undefined) {
      throw new InvalidArgumentError('name', `no tensor "${name}" in ${this.files.join(', ')}`);
    }
    return info;
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const info = this.#info(name);
    return limit(async () => {
      let handle: FileHandle;
      try {
        handle = await open(info.file, 'r');
      } catch (error) {
        throw this.#makeError(
          info,
          `cannot be opened to read the tensor: ${(error as Error).message}`,
          error,
        );
      }
      try {
        const bytes = await readRange(handle, info.byteOffset, info.byteLength);
        if (bytes === undefined) {
          throw this.#makeError(
            info,
            `the file ends before the tensor's bytes ${info.byteOffset}..${info.byteOffset + info.byteLength}; it was truncated after it was opened`,
          );
        }
        return bytes;
      } finally {
        await handle.close();
      }
    });
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const info = this.#info(name);
    return toFloat32(await this.readBytes(name), info.dtype);
  }
}
