import type { DType, SkippedTensor, TensorInfo, TensorStore } from '../../src/weights/tensor-store';

/** One tensor of an in-memory checkpoint: its shape, and optionally dtype and float values. */
export interface MemoryTensor {
  readonly shape: readonly number[];
  readonly dtype?: DType;
  /** Values; by default a deterministic pattern derived from the name. */
  readonly values?: readonly number[];
}

function pattern(name: string, count: number): Float32Array {
  let seed = 0;
  for (const ch of name) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = ((seed + i * 2654435761) % 1000) / 1000 - 0.5;
  return out;
}

/**
 * A `TensorStore` held in memory, for tests of the weight mapping without checkpoint files.
 * `skipped` lists tensors a reader left out for their dtype.
 */
export function memoryTensorStore(
  tensors: Readonly<Record<string, MemoryTensor | readonly number[]>>,
  skipped: readonly SkippedTensor[] = [],
): TensorStore & { readonly reads: string[] } {
  const infos = new Map<string, TensorInfo>();
  const data = new Map<string, Uint8Array>();
  const values = new Map<string, Float32Array>();
  let offset = 0;
  for (const [name, spec] of Object.entries(tensors)) {
    const t: MemoryTensor = Array.isArray(spec)
      ? { shape: spec as readonly number[] }
      : (spec as MemoryTensor);
    const dtype = t.dtype ?? 'F32';
    const count = t.shape.reduce((a, b) => a * b, 1);
    const floats = t.values === undefined ? pattern(name, count) : Float32Array.from(t.values);
    // F32 bytes are exact; 16-bit dtypes keep the upper half of each float32 (bfloat16 truncation),
    // which is all the tests need (byte lengths and contents that differ by dtype).
    const bits = new Uint32Array(floats.buffer.slice(0));
    const bytes =
      dtype === 'F32'
        ? new Uint8Array(bits.buffer)
        : new Uint8Array(Uint16Array.from(bits, (b) => b >>> 16).buffer);
    infos.set(name, {
      name,
      dtype,
      shape: t.shape,
      file: 'memory.safetensors',
      byteOffset: offset,
      byteLength: bytes.length,
    });
    offset += bytes.length;
    data.set(name, bytes);
    values.set(name, floats);
  }
  const reads: string[] = [];
  const get = <T>(map: Map<string, T>, name: string): T => {
    const v = map.get(name);
    if (v === undefined) throw new Error(`no tensor ${name}`);
    return v;
  };
  return {
    tensors: infos,
    files: ['memory.safetensors'],
    skipped,
    reads,
    async readBytes(name) {
      reads.push(name);
      return get(data, name).slice();
    },
    async readFloat32(name) {
      reads.push(name);
      return get(values, name).slice();
    },
  };
}
