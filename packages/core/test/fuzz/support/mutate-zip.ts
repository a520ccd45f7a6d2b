import fc from 'fast-check';
import { INTERESTING_INTS, writeUint } from './mutate-bytes';

/** A size, offset or count field of a zip archive: where it is and how wide. */
export interface ZipField {
  readonly offset: number;
  readonly width: 2 | 4 | 8;
  readonly what: string;
}

const u32At = (b: Uint8Array, p: number) =>
  ((b[p] as number) |
    ((b[p + 1] as number) << 8) |
    ((b[p + 2] as number) << 16) |
    ((b[p + 3] as number) << 24)) >>>
  0;
const u16At = (b: Uint8Array, p: number) => (b[p] as number) | ((b[p + 1] as number) << 8);

/**
 * Finds the size/offset/count fields of every zip record of a seed archive (local headers, central
 * directory records with their ZIP64 extra fields, the ZIP64 end record and locator, the end record),
 * by scanning for record signatures. Only used on seeds.
 */
export function zipFields(zip: Uint8Array): ZipField[] {
  const fields: ZipField[] = [];
  const add = (offset: number, width: 2 | 4 | 8, what: string) => fields.push({ offset, width, what });
  for (let p = 0; p + 4 <= zip.length; p++) {
    if (zip[p] !== 0x50 || zip[p + 1] !== 0x4b) continue;
    const sig = u32At(zip, p);
    if (sig === 0x04034b50) {
      add(p + 8, 2, 'local method');
      add(p + 14, 4, 'local crc');
      add(p + 18, 4, 'local compressed size');
      add(p + 22, 4, 'local uncompressed size');
      add(p + 26, 2, 'local name length');
      add(p + 28, 2, 'local extra length');
    } else if (sig === 0x02014b50) {
      add(p + 8, 2, 'flags');
      add(p + 10, 2, 'method');
      add(p + 16, 4, 'crc');
      add(p + 20, 4, 'compressed size');
      add(p + 24, 4, 'uncompressed size');
      add(p + 28, 2, 'name length');
      add(p + 30, 2, 'extra length');
      add(p + 32, 2, 'comment length');
      add(p + 34, 2, 'disk start');
      add(p + 42, 4, 'local header offset');
      const nameLength = u16At(zip, p + 28);
      const extraLength = u16At(zip, p + 30);
      let e = p + 46 + nameLength;
      const end = e + extraLength;
      while (e + 4 <= end && e + 4 <= zip.length) {
        const id = u16At(zip, e);
        const length = u16At(zip, e + 2);
        if (id === 0x0001) {
          add(e + 2, 2, 'zip64 extra length');
          for (let q = e + 4; q + 8 <= e + 4 + length; q += 8) add(q, 8, 'zip64 extra value');
        }
        e += 4 + length;
      }
    } else if (sig === 0x06064b50) {
      add(p + 16, 4, 'zip64 disk');
      add(p + 24, 8, 'zip64 entries on disk');
      add(p + 32, 8, 'zip64 entry count');
      add(p + 40, 8, 'zip64 directory size');
      add(p + 48, 8, 'zip64 directory offset');
    } else if (sig === 0x07064b50) {
      add(p + 8, 8, 'zip64 locator record offset');
    } else if (sig === 0x06054b50) {
      add(p + 4, 2, 'disk');
      add(p + 10, 2, 'entry count');
      add(p + 12, 4, 'directory size');
      add(p + 16, 4, 'directory offset');
      add(p + 20, 2, 'comment length');
    }
  }
  return fields;
}

export interface ZipFieldMutation {
  readonly field: number;
  /** Index into the interesting values; -1…-4 and 1…4 are deltas from the current value instead. */
  readonly value: number;
  readonly delta: number;
}

export const zipFieldMutation: fc.Arbitrary<ZipFieldMutation> = fc.record({
  field: fc.nat(),
  value: fc.integer({ min: 0, max: INTERESTING_INTS.length + 2 }),
  delta: fc.integer({ min: -4, max: 4 }),
});

/** Rewrites size/offset fields of a seed archive. */
export function applyZipFieldMutations(
  zip: Uint8Array,
  fields: readonly ZipField[],
  mutations: readonly ZipFieldMutation[],
): Uint8Array {
  const out = zip.slice();
  for (const m of mutations) {
    const field = fields[m.field % fields.length] as ZipField;
    let value: bigint;
    if (m.value === INTERESTING_INTS.length) value = BigInt(zip.length);
    else if (m.value === INTERESTING_INTS.length + 1 || m.value === INTERESTING_INTS.length + 2) {
      let current = 0n;
      for (let b = field.width - 1; b >= 0; b--)
        current = (current << 8n) | BigInt(out[field.offset + b] as number);
      value = current + BigInt(m.delta === 0 ? 1 : m.delta);
    } else value = INTERESTING_INTS[m.value] as bigint;
    writeUint(out, field.offset, field.width, value);
  }
  return out;
}
