import { SafetensorsFormatError, UnsupportedDtypeError } from '../errors/model-errors';
// showJson: JSON.stringify of a deeply nested header value overflows the stack (see its comment).
import { showJson } from '../model/json-file';
import { elementCount, isSupportedDtype, SUPPORTED_DTYPES } from './dtype';
import { DTYPE_BYTES, type DType } from './tensor-store';

/** Element sizes of the safetensors dtypes samp recognises but cannot compute with. */
const OTHER_DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  I64: 8,
  U64: 8,
  I32: 4,
  U32: 4,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  F8_E8M0: 1,
};

/** One header entry, validated; offsets are relative to the start of the data section. */
export interface SafetensorsEntry {
  readonly name: string;
  /** The stored dtype (a supported `DType` unless `supported` is false). */
  readonly dtype: string;
  readonly supported: boolean;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A parsed and validated safetensors header. */
export interface SafetensorsHeader {
  readonly metadata: Readonly<Record<string, string>>;
  readonly entries: readonly SafetensorsEntry[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Parses the JSON header of a safetensors file and checks every entry against the size of the data
 * section: types of dtype/shape/data_offsets, byte length = elements × dtype size, offsets inside the
 * data section and no two tensors overlapping. Unsupported dtypes are `UnsupportedDtypeError` unless
 * `allowUnsupported`, in which case they are returned with `supported: false`.
 */
export function parseSafetensorsHeader(
  file: string,
  headerBytes: Uint8Array,
  dataSize: number,
  allowUnsupported: boolean,
): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch (error) {
    throw new SafetensorsFormatError({ file }, 'the header is not valid UTF-8', { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsFormatError(
      { file },
      `the header is not valid JSON (${(error as Error).message}); expected a JSON object after the 8-byte length`,
      { cause: error },
    );
  }
  if (!isPlainObject(json)) {
    throw new SafetensorsFormatError({ file }, 'the header is not a JSON object');
  }

  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(value)) {
        throw new SafetensorsFormatError({ file, field: '__metadata__' }, 'expected an object of strings');
      }
      for (const [key, v] of Object.entries(value)) {
        if (typeof v !== 'string') {
          throw new SafetensorsFormatError(
            { file, field: `__metadata__.${key}` },
            `expected a string, found ${showJson(v)}`,
          );
        }
        metadata[key] = v;
      }
      continue;
    }
    entries.push(parseEntry(file, name, value, dataSize, allowUnsupported));
  }
  checkOverlaps(file, entries);
  return { metadata, entries };
}

function parseEntry(
  file: string,
  name: string,
  value: unknown,
  dataSize: number,
  allowUnsupported: boolean,
): SafetensorsEntry {
  const at = (field?: string) =>
    field === undefined ? { file, tensor: name } : { file, tensor: name, field };
  if (!isPlainObject(value)) {
    throw new SafetensorsFormatError(at(), 'expected an object with dtype, shape and data_offsets');
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') {
    throw new SafetensorsFormatError(at('dtype'), `expected a dtype string, found ${showJson(dtype)}`);
  }
  if (!Array.isArray(shape)) {
    throw new SafetensorsFormatError(
      at('shape'),
      `expected an array of dimensions, found ${showJson(shape)}`,
    );
  }
  shape.forEach((d, i) => {
    if (!isOffset(d)) {
      throw new SafetensorsFormatError(
        at(`shape[${i}]`),
        `expected a non-negative integer, found ${showJson(d)}`,
      );
    }
  });
  const count = elementCount(shape);
  if (count === undefined) {
    throw new SafetensorsFormatError(
      at('shape'),
      `[${shape.join(', ')}] has more elements than can be addressed`,
    );
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !isOffset(offsets[0]) || !isOffset(offsets[1])) {
    throw new SafetensorsFormatError(
      at('data_offsets'),
      `expected [begin, end] as two non-negative integers, found ${showJson(offsets)}`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) {
    throw new SafetensorsFormatError(at('data_offsets'), `end ${end} is before begin ${begin}`);
  }
  const supported = isSupportedDtype(dtype);
  if (!supported && !allowUnsupported) {
    throw new UnsupportedDtypeError(at('dtype'), dtype, SUPPORTED_DTYPES);
  }
  const width = supported ? DTYPE_BYTES[dtype as DType] : OTHER_DTYPE_BYTES[dtype];
  if (width === undefined) {
    // An unknown dtype's size is unknown, so its byte range cannot be checked: refuse it even when skipping.
    throw new UnsupportedDtypeError(at('dtype'), dtype, SUPPORTED_DTYPES);
  }
  const expected = count * width;
  if (end - begin !== expected) {
    throw new SafetensorsFormatError(
      at('data_offsets'),
      `holds ${end - begin} bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${expected}`,
    );
  }
  if (end > dataSize) {
    throw new SafetensorsFormatError(
      at('data_offsets'),
      `[${begin}, ${end}] runs past the end of the data section (${dataSize} bytes); the file is truncated or the offsets are wrong`,
    );
  }
  return { name, dtype, supported, shape: shape as number[], begin, end };
}

function checkOverlaps(file: string, entries: readonly SafetensorsEntry[]): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: SafetensorsEntry | undefined;
  for (const entry of sorted) {
    if (entry.begin === entry.end) continue; // empty tensors occupy no bytes
    if (previous !== undefined && entry.begin < previous.end) {
      throw new SafetensorsFormatError(
        { file, tensor: entry.name, field: 'data_offsets' },
        `[${entry.begin}, ${entry.end}] overlaps tensor "${previous.name}" at [${previous.begin}, ${previous.end}]`,
      );
    }
    previous = entry;
  }
}
