/** One tensor for `buildSafetensors`: its dtype string, shape and raw little-endian bytes. */
export interface SafetensorsTensorSpec {
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** Bytes of a safetensors file from a header (object or raw JSON text) and a data section, as written. */
export function buildSafetensorsRaw(header: unknown, data: Uint8Array, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Bytes of a valid safetensors file holding `tensors` back to back, in the given order. */
export function buildSafetensors(
  tensors: Record<string, SafetensorsTensorSpec>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    chunks.push(t.data);
    offset += t.data.length;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return buildSafetensorsRaw(header, data);
}

/** Little-endian float32 bytes. */
export function f32Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (const [i, v] of values.entries()) view.setFloat32(4 * i, v, true);
  return out;
}

/** Little-endian bytes of 16-bit patterns (float16 or bfloat16 bits). */
export function u16Bytes(bits: readonly number[]): Uint8Array {
  const out = new Uint8Array(bits.length * 2);
  const view = new DataView(out.buffer);
  for (const [i, b] of bits.entries()) view.setUint16(2 * i, b, true);
  return out;
}
