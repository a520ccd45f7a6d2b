import type { FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PickleFormatError, UnsupportedDtypeError } from '../errors/model-errors';
import { elementCount, SUPPORTED_DTYPES } from './dtype';
import { openRegularFile, readRange } from './file-range';
import { FileTensorStore } from './file-tensor-store';
import { PyDict, typeName } from './python-values';
import type { OpenWeightsOptions, SkippedTensor, TensorInfo, TensorStore } from './tensor-store';
import {
  createStorageLoader,
  resolveTorchGlobal,
  storageDtype,
  TensorRef,
  TORCH_STORAGE_DTYPES,
} from './torch-globals';
import { unpickle } from './unpickler';
import { readZipDirectory, readZipEntry, type ZipDirectory } from './zip-reader';

/** The largest `data.pkl` samp unpickles (it describes tensors; their bytes live in other entries). */
export const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

async function checkMagic(handle: FileHandle, file: string): Promise<void> {
  const magic = await readRange(handle, 0, 4);
  if (
    magic === undefined ||
    magic[0] !== 0x50 ||
    magic[1] !== 0x4b ||
    magic[2] !== 0x03 ||
    magic[3] !== 0x04
  ) {
    const legacy = magic?.[0] === 0x80;
    throw new PickleFormatError(
      { file },
      legacy
        ? 'this is a legacy (pre-zip) torch.save file, which samp does not read; re-save it with torch >= 1.6 or convert it to safetensors'
        : 'not a torch checkpoint: expected a zip archive (torch.save with the zip format)',
    );
  }
}

function findPickle(file: string, zip: ZipDirectory): string {
  const prefixes = [...zip.entries.keys()]
    .map((name) => /^([^/]+)\/data\.pkl$/.exec(name)?.[1])
    .filter((p): p is string => p !== undefined);
  if (prefixes.length !== 1) {
    throw new PickleFormatError(
      { file, field: '<top>/data.pkl' },
      prefixes.length === 0
        ? 'the archive has no <top>/data.pkl; it is not a torch checkpoint'
        : `the archive has ${prefixes.length} data.pkl entries (${prefixes.join(', ')}); expected one`,
    );
  }
  return prefixes[0] as string;
}

function toTensorInfo(
  file: string,
  zip: ZipDirectory,
  prefix: string,
  name: string,
  tensor: TensorRef,
): TensorInfo {
  const at = { file, tensor: name };
  const { storage } = tensor;
  const dtype = storageDtype(storage.storageType) as TensorInfo['dtype'];
  const width = TORCH_STORAGE_DTYPES[storage.storageType]?.bytes as number;
  const entryName = `${prefix}/data/${storage.key}`;
  const entry = zip.entries.get(entryName);
  if (entry === undefined) {
    throw new PickleFormatError(at, `its storage "${storage.key}" has no entry ${entryName} in the archive`);
  }
  if (entry.method !== 0) {
    throw new PickleFormatError(
      { ...at, field: entryName },
      `the storage entry is compressed (method ${entry.method}); torch stores tensor data uncompressed`,
    );
  }
  if (entry.uncompressedSize !== storage.numel * width) {
    throw new PickleFormatError(
      { ...at, field: entryName },
      `the storage entry has ${entry.uncompressedSize} bytes, but ${storage.numel} ${storage.storageType} elements need ${storage.numel * width}`,
    );
  }
  const count = elementCount(tensor.size);
  if (count === undefined) throw new PickleFormatError(at, `size [${tensor.size.join(', ')}] is too large`);
  if (count > 0) {
    let expected = 1;
    for (let d = tensor.size.length - 1; d >= 0; d--) {
      const size = tensor.size[d] as number;
      if (size !== 1 && tensor.stride[d] !== expected) {
        throw new PickleFormatError(
          at,
          `stride [${tensor.stride.join(', ')}] is not contiguous row-major for size [${tensor.size.join(', ')}]; only contiguous tensors are supported`,
        );
      }
      expected *= size;
    }
  }
  if (tensor.storageOffset + count > storage.numel) {
    throw new PickleFormatError(
      at,
      `elements ${tensor.storageOffset}..${tensor.storageOffset + count} run past its storage of ${storage.numel} elements`,
    );
  }
  return {
    name,
    dtype,
    shape: tensor.size,
    file,
    byteOffset: entry.dataOffset + tensor.storageOffset * width,
    byteLength: count * width,
  };
}

/**
 * Opens a `pytorch_model.bin` written by `torch.save` in the zip format (torch >= 1.6). `data.pkl`
 * is read with a restricted unpickler that only rebuilds tensors; tensor bytes are read later, in
 * place, from the archive's uncompressed `data/<key>` entries.
 *
 * Throws `PickleFormatError` for a malformed archive or pickle (or a legacy non-zip file, or anything
 * but a flat dict of contiguous tensors), `UnsafePickleError` for any global outside the tensor-rebuild
 * allow-list, `UnsupportedDtypeError` for tensors other than float32/float16/bfloat16 (unless
 * `options.skipUnsupportedDtypes`, default `false`), `ModelFileNotFoundError` when the file is absent.
 *
 * @example
 * const store = await openTorchCheckpoint('models/bert/pytorch_model.bin');
 */
export async function openTorchCheckpoint(
  file: string,
  options: OpenWeightsOptions = {},
): Promise<TensorStore> {
  const path = resolve(file);
  const { handle, size } = await openRegularFile(path);
  try {
    await checkMagic(handle, path);
    const zip = await readZipDirectory(handle, path, size);
    const prefix = findPickle(path, zip);
    const byteorder = zip.entries.get(`${prefix}/byteorder`);
    if (byteorder !== undefined) {
      const mark = new TextDecoder().decode(await readZipEntry(handle, path, byteorder, 64));
      if (mark !== 'little') {
        throw new PickleFormatError(
          { file: path, field: byteorder.name },
          `byte order "${mark}" is not supported (expected "little")`,
        );
      }
    }
    const pickleEntry = zip.entries.get(`${prefix}/data.pkl`);
    if (pickleEntry === undefined)
      throw new PickleFormatError({ file: path }, `the archive lacks ${prefix}/data.pkl`);
    const pickle = await readZipEntry(handle, path, pickleEntry, MAX_PICKLE_BYTES);
    const root = unpickle(pickle, {
      file: path,
      field: pickleEntry.name,
      resolveGlobal: resolveTorchGlobal,
      persistentLoad: createStorageLoader(),
    });
    if (!(root instanceof PyDict)) {
      throw new PickleFormatError(
        { file: path, field: pickleEntry.name },
        `expected a state dict (a dict of tensor name to tensor), found a ${typeName(root)}`,
      );
    }
    const tensors = new Map<string, TensorInfo>();
    const skipped: SkippedTensor[] = [];
    for (const [name, value] of root.entries) {
      if (typeof name !== 'string') {
        throw new PickleFormatError(
          { file: path, field: pickleEntry.name },
          `the state dict has a key of type ${typeName(name)}, expected tensor names`,
        );
      }
      if (!(value instanceof TensorRef)) {
        throw new PickleFormatError(
          { file: path, tensor: name },
          `expected a tensor, found a ${typeName(value)}; only a flat state dict of tensors is supported`,
        );
      }
      if (storageDtype(value.storage.storageType) === undefined) {
        const dtype = TORCH_STORAGE_DTYPES[value.storage.storageType]?.dtype ?? value.storage.storageType;
        if (options.skipUnsupportedDtypes === true) {
          skipped.push({ name, dtype });
          continue;
        }
        throw new UnsupportedDtypeError(
          { file: path, tensor: name },
          `${dtype} (torch.${value.storage.storageType})`,
          SUPPORTED_DTYPES,
        );
      }
      tensors.set(name, toTensorInfo(path, zip, prefix, name, value));
    }
    return new FileTensorStore(
      tensors,
      [path],
      (info, problem, cause) =>
        new PickleFormatError({ file: info.file, tensor: info.name }, problem, { cause }),
      skipped,
    );
  } finally {
    await handle.close();
  }
}
