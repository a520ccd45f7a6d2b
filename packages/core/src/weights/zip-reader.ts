import type { FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { PickleFormatError } from '../errors/model-errors';
import { crc32 } from './crc32';
import { readRange } from './file-range';

/** One member of a zip archive, with every size and offset checked against the file. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate; others are refused when read. */
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  /** Absolute file offset of the entry's (possibly compressed) bytes, after its local header. */
  readonly dataOffset: number;
}

/** The central directory of a zip archive. */
export interface ZipDirectory {
  readonly file: string;
  readonly size: number;
  /** Entries by name, in central-directory order. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
}

/** The largest central directory read (a torch checkpoint has one small record per tensor storage). */
export const MAX_ZIP_DIRECTORY_BYTES = 256 * 1024 * 1024;

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(file: string, v: DataView, offset: number, what: string): number {
  const value = v.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new PickleFormatError({ file, field: what }, `the zip ${what} ${value} is too large`);
  }
  return Number(value);
}

async function mustRead(handle: FileHandle, file: string, offset: number, length: number, what: string) {
  const bytes = await readRange(handle, offset, length);
  if (bytes === undefined) {
    throw new PickleFormatError({ file }, `the file ended while reading the zip ${what} at byte ${offset}`);
  }
  return bytes;
}

interface EndRecord {
  entryCount: number;
  directorySize: number;
  directoryOffset: number;
  /** Where the central directory must end (the start of the end records). */
  directoryLimit: number;
}

async function readEndRecord(handle: FileHandle, file: string, size: number): Promise<EndRecord> {
  const notZip =
    'it is not a zip archive (legacy torch.save files from before torch 1.6 are not supported; re-save with a newer torch or convert to safetensors)';
  if (size < EOCD_SIZE)
    throw new PickleFormatError({ file }, `${size} bytes is too short for a zip archive; ${notZip}`);
  const tailLength = Math.min(size, EOCD_SIZE + 0xffff);
  const tailStart = size - tailLength;
  const tail = await mustRead(handle, file, tailStart, tailLength, 'end record');
  const tv = view(tail);
  let at = -1;
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (
      tv.getUint32(i, true) === EOCD_SIGNATURE &&
      i + EOCD_SIZE + tv.getUint16(i + 20, true) === tailLength
    ) {
      at = i;
      break;
    }
  }
  if (at < 0)
    throw new PickleFormatError({ file }, `no zip end-of-central-directory record was found; ${notZip}`);
  const eocdOffset = tailStart + at;
  const disk = tv.getUint16(at + 4, true);
  const directoryDisk = tv.getUint16(at + 6, true);
  let record: EndRecord = {
    entryCount: tv.getUint16(at + 10, true),
    directorySize: tv.getUint32(at + 12, true),
    directoryOffset: tv.getUint32(at + 16, true),
    directoryLimit: eocdOffset,
  };
  if (disk !== 0 || directoryDisk !== 0) {
    throw new PickleFormatError({ file }, 'multi-disk zip archives are not supported');
  }
  if (eocdOffset >= 20) {
    const locator = await mustRead(handle, file, eocdOffset - 20, 20, 'ZIP64 locator');
    const lv = view(locator);
    if (lv.getUint32(0, true) === ZIP64_LOCATOR_SIGNATURE) {
      const recordOffset = u64(file, lv, 8, 'ZIP64 end record offset');
      if (recordOffset + 56 > eocdOffset - 20) {
        throw new PickleFormatError({ file }, `the ZIP64 end record offset ${recordOffset} is out of range`);
      }
      const z = view(await mustRead(handle, file, recordOffset, 56, 'ZIP64 end record'));
      if (z.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE) {
        throw new PickleFormatError({ file }, `no ZIP64 end record at byte ${recordOffset}`);
      }
      if (z.getUint32(16, true) !== 0 || z.getUint32(20, true) !== 0) {
        throw new PickleFormatError({ file }, 'multi-disk zip archives are not supported');
      }
      record = {
        entryCount: u64(file, z, 32, 'entry count'),
        directorySize: u64(file, z, 40, 'central directory size'),
        directoryOffset: u64(file, z, 48, 'central directory offset'),
        directoryLimit: recordOffset,
      };
    }
  }
  if (record.directoryOffset + record.directorySize > record.directoryLimit) {
    throw new PickleFormatError(
      { file },
      `the zip central directory (${record.directorySize} bytes at ${record.directoryOffset}) runs past its end records at ${record.directoryLimit}; the file is truncated or corrupt`,
    );
  }
  if (record.directorySize > MAX_ZIP_DIRECTORY_BYTES) {
    throw new PickleFormatError(
      { file },
      `the zip central directory of ${record.directorySize} bytes is over the limit`,
    );
  }
  if (record.entryCount * CENTRAL_SIZE > record.directorySize) {
    throw new PickleFormatError(
      { file },
      `the zip claims ${record.entryCount} entries, more than its ${record.directorySize}-byte central directory can hold`,
    );
  }
  return record;
}

/**
 * Reads a zip archive's end records (ZIP64 included), central directory and every local header,
 * checking each size and offset against the file. Problems are `PickleFormatError`s, since samp
 * reads zip archives only as torch checkpoints.
 */
export async function readZipDirectory(
  handle: FileHandle,
  file: string,
  size: number,
): Promise<ZipDirectory> {
  const end = await readEndRecord(handle, file, size);
  const directory = await mustRead(handle, file, end.directoryOffset, end.directorySize, 'central directory');
  const dv = view(directory);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parsed: Omit<ZipEntry, 'dataOffset'>[] = [];
  let p = 0;
  for (let i = 0; i < end.entryCount; i++) {
    if (p + CENTRAL_SIZE > directory.length || dv.getUint32(p, true) !== CENTRAL_SIGNATURE) {
      throw new PickleFormatError(
        { file },
        `zip central directory record ${i} at byte ${end.directoryOffset + p} is malformed`,
      );
    }
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let uncompressedSize = dv.getUint32(p + 24, true);
    const nameLength = dv.getUint16(p + 28, true);
    const extraLength = dv.getUint16(p + 30, true);
    const commentLength = dv.getUint16(p + 32, true);
    let diskStart = dv.getUint16(p + 34, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const next = p + CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (next > directory.length) {
      throw new PickleFormatError({ file }, `zip central directory record ${i} runs past the directory`);
    }
    let name: string;
    try {
      name = decoder.decode(directory.subarray(p + CENTRAL_SIZE, p + CENTRAL_SIZE + nameLength));
    } catch (error) {
      throw new PickleFormatError({ file }, `zip entry ${i} has a name that is not UTF-8`, { cause: error });
    }
    // samp never extracts an archive, so such names cannot write anywhere; but torch never writes them
    // either, and `../data.pkl` would otherwise pass for the pickle of a top folder named "..".
    if (
      name.startsWith('/') ||
      name.includes('\\') ||
      name.includes('\0') ||
      name.split('/').includes('..')
    ) {
      throw new PickleFormatError(
        { file, field: name },
        'the zip entry name is absolute or climbs out of the archive ("..", "\\", NUL); torch never writes such names',
      );
    }
    // ZIP64 extended information: present only for the fields whose 32-bit value is saturated.
    let e = p + CENTRAL_SIZE + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true);
      const length = dv.getUint16(e + 2, true);
      if (e + 4 + length > extraEnd) {
        throw new PickleFormatError({ file, field: name }, 'a zip extra field runs past its record');
      }
      if (id === 0x0001) {
        let q = e + 4;
        const take = (what: string): number => {
          if (q + 8 > e + 4 + length) {
            throw new PickleFormatError({ file, field: name }, `the ZIP64 extra field lacks the ${what}`);
          }
          const value = u64(file, dv, q, what);
          q += 8;
          return value;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
        if (diskStart === 0xffff) {
          if (q + 4 > e + 4 + length)
            throw new PickleFormatError({ file, field: name }, 'the ZIP64 extra field lacks the disk number');
          diskStart = dv.getUint32(q, true);
        }
      }
      e += 4 + length;
    }
    if (diskStart !== 0)
      throw new PickleFormatError({ file, field: name }, 'multi-disk zip archives are not supported');
    if (flags & 1)
      throw new PickleFormatError({ file, field: name }, 'encrypted zip entries are not supported');
    if (method === 0 && compressedSize !== uncompressedSize) {
      throw new PickleFormatError(
        { file, field: name },
        `a stored zip entry has compressed size ${compressedSize} but uncompressed size ${uncompressedSize}`,
      );
    }
    parsed.push({ name, method, flags, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset });
    p = next;
  }

  const entries = new Map<string, ZipEntry>();
  for (const entry of parsed) {
    if (entries.has(entry.name))
      throw new PickleFormatError({ file, field: entry.name }, 'the zip has two entries of this name');
    if (entry.localHeaderOffset + LOCAL_SIZE > end.directoryOffset) {
      throw new PickleFormatError(
        { file, field: entry.name },
        `the local header offset ${entry.localHeaderOffset} is out of range`,
      );
    }
    const nameBytes = new TextEncoder().encode(entry.name);
    const local = await mustRead(
      handle,
      file,
      entry.localHeaderOffset,
      LOCAL_SIZE + nameBytes.length,
      'local header',
    );
    const lv = view(local);
    const localName = local.subarray(LOCAL_SIZE);
    if (
      lv.getUint32(0, true) !== LOCAL_SIGNATURE ||
      lv.getUint16(26, true) !== nameBytes.length ||
      !localName.every((b, k) => b === nameBytes[k])
    ) {
      throw new PickleFormatError(
        { file, field: entry.name },
        `no matching zip local header at byte ${entry.localHeaderOffset}; the archive is corrupt`,
      );
    }
    const dataOffset = entry.localHeaderOffset + LOCAL_SIZE + nameBytes.length + lv.getUint16(28, true);
    if (dataOffset + entry.compressedSize > end.directoryOffset) {
      throw new PickleFormatError(
        { file, field: entry.name },
        `the entry's ${entry.compressedSize} bytes at ${dataOffset} run past the start of the central directory at ${end.directoryOffset}; the file is truncated or corrupt`,
      );
    }
    entries.set(entry.name, { ...entry, dataOffset });
  }

  const sorted = [...entries.values()].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as ZipEntry;
    const cur = sorted[i] as ZipEntry;
    if (cur.localHeaderOffset < prev.dataOffset + prev.compressedSize) {
      throw new PickleFormatError(
        { file, field: cur.name },
        `the zip entry overlaps the entry "${prev.name}"`,
      );
    }
  }
  return { file, size, entries };
}

/**
 * Reads one zip entry whole (stored or deflated) and checks its CRC-32; for small members such as
 * `data.pkl`. Entries over `maxBytes` are refused before anything is allocated.
 */
export async function readZipEntry(
  handle: FileHandle,
  file: string,
  entry: ZipEntry,
  maxBytes: number,
): Promise<Uint8Array> {
  const at = { file, field: entry.name };
  if (entry.uncompressedSize > maxBytes || entry.compressedSize > maxBytes) {
    throw new PickleFormatError(
      at,
      `the entry has ${entry.uncompressedSize} bytes, over the limit of ${maxBytes}`,
    );
  }
  if (entry.method !== 0 && entry.method !== 8) {
    throw new PickleFormatError(
      at,
      `zip compression method ${entry.method} is not supported (expected stored or deflate)`,
    );
  }
  const raw = await mustRead(handle, file, entry.dataOffset, entry.compressedSize, `entry ${entry.name}`);
  let bytes: Uint8Array = raw;
  if (entry.method === 8) {
    try {
      bytes = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
    } catch (error) {
      throw new PickleFormatError(at, `the deflated entry cannot be inflated: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (bytes.length !== entry.uncompressedSize) {
      throw new PickleFormatError(
        at,
        `inflated to ${bytes.length} bytes, expected ${entry.uncompressedSize}`,
      );
    }
  }
  const actual = crc32(bytes);
  if (actual !== entry.crc32) {
    throw new PickleFormatError(
      at,
      `CRC-32 mismatch (stored ${entry.crc32.toString(16)}, computed ${actual.toString(16)}); the entry is corrupt`,
    );
  }
  return bytes;
}
