import { endianness } from 'node:os';
import { DTYPE_BYTES, type DType } from './tensor-store';

/** The dtypes samp reads, in the order error messages list them. */
export const SUPPORTED_DTYPES: readonly DType[] = ['F32', 'F16', 'BF16'];

/** True when `dtype` is one samp can read (F32, F16, BF16). */
export function isSupportedDtype(dtype: string): dtype is DType {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}

const littleEndianHost = endianness() === 'LE';

// float32 bit patterns of all 65536 float16 values; built once, on first use (256 KiB).
let halfTable: Uint32Array | undefined;

/** The float32 bit pattern of a float16 bit pattern, exact for normals, subnormals, ±0, ±inf and NaN payloads. */
export function halfBitsToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >> 10) & 0x1f;
  let mantissa = h & 0x3ff;
  if (exponent === 0) {
    if (mantissa === 0) return sign >>> 0;
    // Subnormal half: renormalise, since every half subnormal is a normal float32.
    let e = 113;
    while ((mantissa & 0x400) === 0) {
      mantissa <<= 1;
      e -= 1;
    }
    return (sign | (e << 23) | ((mantissa & 0x3ff) << 13)) >>> 0;
  }
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
}

function getHalfTable(): Uint32Array {
  if (halfTable === undefined) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBitsToFloatBits(h);
  }
  return halfTable;
}

function u16At(bytes: Uint8Array, i: number): number {
  const lo = bytes[2 * i] ?? 0;
  const hi = bytes[2 * i + 1] ?? 0;
  return lo | (hi << 8);
}

/**
 * Converts little-endian tensor bytes to float32. F32 is reinterpreted (copied first when the bytes are
 * not 4-byte aligned); F16 and BF16 are widened exactly, bit pattern by bit pattern.
 */
export function toFloat32(bytes: Uint8Array, dtype: DType): Float32Array {
  const width = DTYPE_BYTES[dtype];
  if (bytes.byteLength % width !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  const count = bytes.byteLength / width;
  if (dtype === 'F32') {
    if (littleEndianHost) {
      const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
      return new Float32Array(aligned.buffer, aligned.byteOffset, count);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  const out = new Float32Array(count);
  const outBits = new Uint32Array(out.buffer);
  // Writing bit patterns (not numbers) keeps NaN payloads and -0 exactly.
  if (dtype === 'F16') {
    const table = getHalfTable();
    if (littleEndianHost && bytes.byteOffset % 2 === 0) {
      const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
      for (let i = 0; i < count; i++) outBits[i] = table[halves[i] as number] as number;
    } else {
      for (let i = 0; i < count; i++) outBits[i] = table[u16At(bytes, i)] as number;
    }
    return out;
  }
  if (littleEndianHost && bytes.byteOffset % 2 === 0) {
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    for (let i = 0; i < count; i++) outBits[i] = (halves[i] as number) << 16;
  } else {
    for (let i = 0; i < count; i++) outBits[i] = u16At(bytes, i) << 16;
  }
  return out;
}

/**
 * The number of elements of a shape, or `undefined` when a dimension is not a non-negative safe
 * integer or the product is not a safe integer.
 */
export function elementCount(shape: readonly unknown[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return undefined;
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}
