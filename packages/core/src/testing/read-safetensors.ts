import { readFileSync } from 'node:fs';

/** One tensor of a safetensors file, widened to float32. */
export interface Float32Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Reads every tensor of a (small) safetensors file as float32: enough for golden expected outputs.
 * F32, F16 and BF16 are read; other dtypes throw. The model loader in `@samp/core` is the full reader.
 * @example
 * const expected = readSafetensorsSync('fixtures/models/bert/expected.safetensors');
 * expected.get('last_hidden_state')?.shape; // [2, 7, 32]
 */
export function readSafetensorsSync(file: string): Map<string, Float32Tensor> {
  const bytes = readFileSync(file);
  if (bytes.length < 8) throw new Error(`${file}: too short to be a safetensors file`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (8 + headerLength > bytes.length)
    throw new Error(`${file}: header length ${headerLength} runs past the file`);
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLength;
  const tensors = new Map<string, Float32Tensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = info.data_offsets;
    const raw = bytes.subarray(base + start, base + end);
    const count = info.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      switch (info.dtype) {
        case 'F32':
          data[i] = raw.readFloatLE(i * 4);
          break;
        case 'F16':
          data[i] = halfToFloat(raw.readUInt16LE(i * 2));
          break;
        case 'BF16':
          data[i] = bfloat16ToFloat(raw.readUInt16LE(i * 2));
          break;
        default:
          throw new Error(`${file}: tensor "${name}" has dtype ${info.dtype}; expected F32, F16 or BF16`);
      }
    }
    tensors.set(name, { shape: info.shape, data });
  }
  return tensors;
}

const scratch = new DataView(new ArrayBuffer(4));

function bfloat16ToFloat(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
