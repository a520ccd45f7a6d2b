import { resolve } from 'node:path';
import { SafetensorsFormatError } from '../errors/model-errors';
import { openRegularFile, readRange } from './file-range';
import { FileTensorStore } from './file-tensor-store';
import { parseSafetensorsHeader } from './safetensors-header';
import type { DType, OpenWeightsOptions, SkippedTensor, TensorInfo, TensorStore } from './tensor-store';

/** The largest safetensors header samp reads (the format's own reference implementation caps it at 100 MB). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/**
 * Opens a `.safetensors` file: reads and validates only its 8-byte length and JSON header; tensors are
 * read later, each on its own, by the returned store.
 *
 * Throws `ModelFileNotFoundError` when the file is absent, `SafetensorsFormatError` when it is truncated
 * or its header is malformed (bad JSON, wrong field types, byte length not matching the shape, offsets
 * out of range or overlapping), `UnsupportedDtypeError` for dtypes other than F32, F16 and BF16
 * (unless `options.skipUnsupportedDtypes`, default `false`).
 *
 * @example
 * const store = await openSafetensors('models/bert/model.safetensors');
 * const w = await store.readFloat32('bert.embeddings.word_embeddings.weight');
 */
export async function openSafetensors(file: string, options: OpenWeightsOptions = {}): Promise<TensorStore> {
  const path = resolve(file);
  const { handle, size } = await openRegularFile(path);
  try {
    if (size < 8) {
      throw new SafetensorsFormatError(
        { file: path },
        `the file has ${size} bytes, fewer than the 8-byte header length; it is truncated or not a safetensors file`,
      );
    }
    const prefix = await readRange(handle, 0, 8);
    if (prefix === undefined) {
      throw new SafetensorsFormatError(
        { file: path },
        'the file ended while reading the 8-byte header length',
      );
    }
    const claimed = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
    // Checked before anything is allocated, so a corrupt length cannot make us allocate gigabytes.
    if (claimed > BigInt(size - 8)) {
      throw new SafetensorsFormatError(
        { file: path },
        `the header length ${claimed} runs past the end of the file (${size} bytes); the file is truncated or not a safetensors file`,
      );
    }
    if (claimed > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
      throw new SafetensorsFormatError(
        { file: path },
        `the header length ${claimed} is over the limit of ${MAX_SAFETENSORS_HEADER_BYTES} bytes`,
      );
    }
    const headerLength = Number(claimed);
    const headerBytes = await readRange(handle, 8, headerLength);
    if (headerBytes === undefined) {
      throw new SafetensorsFormatError(
        { file: path },
        'the file ended while reading the header; it is truncated',
      );
    }
    const dataStart = 8 + headerLength;
    const header = parseSafetensorsHeader(
      path,
      headerBytes,
      size - dataStart,
      options.skipUnsupportedDtypes === true,
    );
    const tensors = new Map<string, TensorInfo>();
    const skipped: SkippedTensor[] = [];
    for (const entry of header.entries) {
      if (!entry.supported) {
        skipped.push({ name: entry.name, dtype: entry.dtype });
        continue;
      }
      tensors.set(entry.name, {
        name: entry.name,
        dtype: entry.dtype as DType,
        shape: entry.shape,
        file: path,
        byteOffset: dataStart + entry.begin,
        byteLength: entry.end - entry.begin,
      });
    }
    return new FileTensorStore(
      tensors,
      [path],
      (info, problem, cause) =>
        new SafetensorsFormatError({ file: info.file, tensor: info.name }, problem, { cause }),
      skipped,
    );
  } finally {
    await handle.close();
  }
}
