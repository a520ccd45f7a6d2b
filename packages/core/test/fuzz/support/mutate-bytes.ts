import fc from 'fast-check';

/**
 * Byte-level mutations, described as data so that fast-check can shrink a failing case to the fewest,
 * simplest operations. Positions are fractions of the current length (0…2^16 maps onto 0…length), so
 * one description applies to inputs of any size.
 */
export type ByteOp =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'duplicate'; at: number; count: number; to: number }
  | { kind: 'int'; at: number; width: 2 | 4 | 8; value: bigint };

const SCALE = 0x10000;

/** Where a fraction (0…SCALE) of `length` falls. */
export function position(at: number, length: number): number {
  return Math.min(length, Math.floor((at / SCALE) * (length + 1)));
}

/** Values that sit on the edges of the integer widths a binary format uses for sizes and offsets. */
export const INTERESTING_INTS: readonly bigint[] = [
  0n,
  1n,
  2n,
  7n,
  8n,
  0x7fn,
  0x80n,
  0xffn,
  0x100n,
  0x7fffn,
  0x8000n,
  0xffffn,
  0x10000n,
  0x7fffffffn,
  0x80000000n,
  0xfffffffen,
  0xffffffffn,
  0x100000000n,
  (1n << 53n) - 1n,
  1n << 53n,
  (1n << 63n) - 1n,
  1n << 63n,
  (1n << 64n) - 1n,
];

const at = fc.integer({ min: 0, max: SCALE });

/** One byte-level mutation. */
export const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('set' as const), at, value: fc.integer({ min: 0, max: 255 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at,
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      at,
      count: fc.integer({ min: 1, max: 64 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('duplicate' as const),
      at,
      count: fc.integer({ min: 1, max: 256 }),
      to: at,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('int' as const),
      at,
      width: fc.constantFrom(2 as const, 4 as const, 8 as const),
      value: fc.oneof(fc.constantFrom(...INTERESTING_INTS), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
    }),
  },
);

/** Writes `value` little-endian over `width` bytes at `offset` (cut at the end of `bytes`). */
export function writeUint(bytes: Uint8Array, offset: number, width: number, value: bigint): void {
  let v = BigInt.asUintN(width * 8, value);
  for (let i = 0; i < width && offset + i < bytes.length; i++) {
    bytes[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Applies one mutation; returns a new array (the input is never modified). */
export function applyByteOp(input: Uint8Array, op: ByteOp): Uint8Array {
  const n = input.length;
  const p = position(op.at, n);
  switch (op.kind) {
    case 'flip': {
      if (n === 0) return input;
      const out = input.slice();
      const i = Math.min(p, n - 1);
      out[i] = (out[i] as number) ^ (1 << op.bit);
      return out;
    }
    case 'set': {
      if (n === 0) return input;
      const out = input.slice();
      out[Math.min(p, n - 1)] = op.value;
      return out;
    }
    case 'truncate':
      return input.slice(0, p);
    case 'insert': {
      const out = new Uint8Array(n + op.bytes.length);
      out.set(input.subarray(0, p), 0);
      out.set(op.bytes, p);
      out.set(input.subarray(p), p + op.bytes.length);
      return out;
    }
    case 'delete': {
      const out = new Uint8Array(n - Math.min(op.count, n - p));
      out.set(input.subarray(0, p), 0);
      out.set(input.subarray(p + op.count), p);
      return out;
    }
    case 'duplicate': {
      const chunk = input.slice(p, p + op.count);
      const q = position(op.to, n);
      const out = new Uint8Array(n + chunk.length);
      out.set(input.subarray(0, q), 0);
      out.set(chunk, q);
      out.set(input.subarray(q), q + chunk.length);
      return out;
    }
    case 'int': {
      if (n === 0) return input;
      const out = input.slice();
      writeUint(out, Math.min(p, n - 1), op.width, op.value);
      return out;
    }
  }
}

/** Applies mutations in order. */
export function applyByteOps(input: Uint8Array, ops: readonly ByteOp[]): Uint8Array {
  let out = input;
  for (const op of ops) out = applyByteOp(out, op);
  return out;
}

/** One to `max` byte mutations. */
export function byteOps(max = 6): fc.Arbitrary<ByteOp[]> {
  return fc.array(byteOp, { minLength: 1, maxLength: max });
}

/** Pure random bytes, optionally after a fixed prefix (a format's magic number). */
export function randomBytes(
  prefix: Uint8Array = new Uint8Array(0),
  maxLength = 2048,
): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength }).map((tail) => {
    const out = new Uint8Array(prefix.length + tail.length);
    out.set(prefix, 0);
    out.set(tail, prefix.length);
    return out;
  });
}
