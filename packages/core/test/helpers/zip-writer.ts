import { crc32, deflateRawSync } from 'node:zlib';

/** One member of an archive built by `buildZip`. */
export interface ZipEntrySpec {
  name: string;
  data: Uint8Array;
  /** 0 = stored (default), 8 = deflate. */
  method?: 0 | 8;
}

/** How `buildZip` lays the archive out. */
export interface ZipOptions {
  /** Write ZIP64 extra fields and end records, as torch does. Default false. */
  zip64?: boolean;
  /** Pad local headers (with an "FB" extra field, as torch does) so data starts at a multiple of this. Default 64. */
  alignment?: number;
  /** Leave sizes and CRC out of local headers and write data descriptors (flag bit 3), as torch does. Default false. */
  dataDescriptor?: boolean;
}

class Bytes {
  readonly parts: number[] = [];
  u16(v: number): this {
    this.parts.push(v & 0xff, (v >>> 8) & 0xff);
    return this;
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(Math.floor(v / 0x10000) & 0xffff);
  }
  u64(v: number): this {
    return this.u32(v % 0x100000000).u32(Math.floor(v / 0x100000000));
  }
  raw(bytes: Uint8Array): this {
    for (const b of bytes) this.parts.push(b);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
}

/** Bytes of a zip archive, written field by field like torch's (miniz) writer. */
export function buildZip(entries: readonly ZipEntrySpec[], options: ZipOptions = {}): Uint8Array {
  const zip64 = options.zip64 ?? false;
  const alignment = options.alignment ?? 64;
  const descriptor = options.dataDescriptor ?? false;
  const out = new Bytes();
  const central = new Bytes();
  for (const entry of entries) {
    const name = new TextEncoder().encode(entry.name);
    const method = entry.method ?? 0;
    const stored = method === 8 ? new Uint8Array(deflateRawSync(entry.data)) : entry.data;
    const crc = crc32(entry.data);
    const offset = out.length;
    const flags = 0x0800 | (descriptor ? 0x08 : 0);
    let pad = 0;
    if (alignment > 1) {
      const start = offset + 30 + name.length + 4;
      pad = (alignment - (start % alignment)) % alignment;
    }
    out
      .u32(0x04034b50)
      .u16(zip64 ? 45 : 20)
      .u16(flags)
      .u16(method)
      .u16(0)
      .u16(0);
    out
      .u32(descriptor ? 0 : crc)
      .u32(descriptor ? 0 : stored.length)
      .u32(descriptor ? 0 : entry.data.length);
    out
      .u16(name.length)
      .u16(alignment > 1 ? 4 + pad : 0)
      .raw(name);
    if (alignment > 1) out.u16(0x4246).u16(pad).raw(new Uint8Array(pad).fill(0x5a));
    out.raw(stored);
    if (descriptor) out.u32(0x08074b50).u32(crc).u32(stored.length).u32(entry.data.length);

    central
      .u32(0x02014b50)
      .u16(zip64 ? 45 : 20)
      .u16(zip64 ? 45 : 20)
      .u16(flags)
      .u16(method)
      .u16(0)
      .u16(0)
      .u32(crc);
    if (zip64) {
      central
        .u32(0xffffffff)
        .u32(0xffffffff)
        .u16(name.length)
        .u16(28)
        .u16(0)
        .u16(0)
        .u16(0)
        .u32(0)
        .u32(0xffffffff);
      central.raw(name).u16(0x0001).u16(24).u64(entry.data.length).u64(stored.length).u64(offset);
    } else {
      central.u32(stored.length).u32(entry.data.length).u16(name.length).u16(0).u16(0).u16(0).u16(0).u32(0);
      central.u32(offset).raw(name);
    }
  }
  const directoryOffset = out.length;
  out.raw(new Uint8Array(central.parts));
  const directorySize = central.length;
  if (zip64) {
    const recordOffset = out.length;
    out.u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0);
    out.u64(entries.length).u64(entries.length).u64(directorySize).u64(directoryOffset);
    out.u32(0x07064b50).u32(0).u64(recordOffset).u32(1);
  }
  out.u32(0x06054b50).u16(0).u16(0).u16(entries.length).u16(entries.length);
  out.u32(directorySize).u32(directoryOffset).u16(0);
  return new Uint8Array(out.parts);
}
