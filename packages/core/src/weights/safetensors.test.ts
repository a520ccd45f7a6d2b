import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectModelError } from '../../test/helpers/expect-model-error';
import {
  buildSafetensors,
  buildSafetensorsRaw,
  f32Bytes,
  u16Bytes,
} from '../../test/helpers/safetensors-writer';
import { makeTempDir, writeIn } from '../../test/helpers/temp-dir';
import {
  ModelFileNotFoundError,
  SafetensorsFormatError,
  UnsupportedDtypeError,
} from '../errors/model-errors';
import { InvalidArgumentError } from '../errors/runtime-errors';
import { openSafetensors } from './safetensors';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});

let counter = 0;
async function write(bytes: Uint8Array): Promise<string> {
  counter += 1;
  return writeIn(dir, `t${counter}.safetensors`, bytes);
}

function bitsOf(values: Float32Array): number[] {
  return [...new Uint32Array(values.buffer, values.byteOffset, values.length)];
}

const F32 = 'SAMP_MODEL_SAFETENSORS';

describe('openSafetensors: round trips', () => {
  it('reads F32 tensors exactly, with their TensorInfo', async () => {
    const a = [1.5, -2, 0, 3.25, 1e-30, -65504.5];
    const b = [7];
    const bytes = buildSafetensors(
      {
        'enc.a': { dtype: 'F32', shape: [2, 3], data: f32Bytes(a) },
        'enc.b': { dtype: 'F32', shape: [], data: f32Bytes(b) },
      },
      { format: 'pt' },
    );
    const file = await write(bytes);
    const store = await openSafetensors(file);
    expect([...store.tensors.keys()]).toEqual(['enc.a', 'enc.b']);
    expect(store.files).toEqual([file]);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(store.tensors.get('enc.b')).toEqual({
      name: 'enc.b',
      dtype: 'F32',
      shape: [],
      file,
      byteOffset: 8 + headerLength + 24,
      byteLength: 4,
    });
    expect([...(await store.readFloat32('enc.a'))]).toEqual(a.map(Math.fround));
    expect([...(await store.readBytes('enc.b'))]).toEqual([...f32Bytes(b)]);
    expect([...(await store.readFloat32('enc.b'))]).toEqual([7]);
  });

  it('widens F16 exactly: subnormals, ±0, ±inf, NaN payloads', async () => {
    const bits = [
      0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x3555, 0x7c01,
    ];
    const file = await write(
      buildSafetensors({ h: { dtype: 'F16', shape: [bits.length], data: u16Bytes(bits) } }),
    );
    const out = await (await openSafetensors(file)).readFloat32('h');
    expect(Object.is(out[0], 0)).toBe(true);
    expect(Object.is(out[1], -0)).toBe(true);
    expect([...out.slice(2, 10)]).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      1023 * 2 ** -24,
      2 ** -14,
      Infinity,
      -Infinity,
    ]);
    expect(out[11]).toBe(0.333251953125);
    expect(Number.isNaN(out[10])).toBe(true);
    // The NaN payload is kept bit for bit: quiet bit 0x200 << 13, signalling payload 1 << 13.
    expect(bitsOf(out)[10]).toBe(0x7fc00000);
    expect(bitsOf(out)[12]).toBe(0x7f802000);
  });

  it('widens every one of the 65536 F16 patterns to the value the IEEE formula gives', async () => {
    const all = Array.from({ length: 65536 }, (_, i) => i);
    const file = await write(
      buildSafetensors({ all: { dtype: 'F16', shape: [256, 256], data: u16Bytes(all) } }),
    );
    const out = await (await openSafetensors(file)).readFloat32('all');
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      const expected =
        e === 0
          ? sign * m * 2 ** -24
          : e === 31
            ? m === 0
              ? sign * Infinity
              : Number.NaN
            : sign * 2 ** (e - 15) * (1 + m / 1024);
      if (!Object.is(out[h], expected))
        expect.fail(`F16 0x${h.toString(16)}: got ${out[h]}, expected ${expected}`);
    }
  });

  it('widens BF16 exactly', async () => {
    const bits = [0x3f80, 0xc000, 0x7f80, 0xff80, 0x7fc1, 0x0001, 0x8000, 0x4049];
    const file = await write(buildSafetensors({ b: { dtype: 'BF16', shape: [2, 4], data: u16Bytes(bits) } }));
    const out = await (await openSafetensors(file)).readFloat32('b');
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(-2);
    expect(out[2]).toBe(Infinity);
    expect(out[3]).toBe(-Infinity);
    expect(bitsOf(out)[4]).toBe(0x7fc10000);
    expect(out[5]).toBe(2 ** -133);
    expect(Object.is(out[6], -0)).toBe(true);
    expect(out[7]).toBe(3.140625);
  });

  it('accepts empty tensors and reads them as empty arrays', async () => {
    const file = await write(
      buildSafetensors({
        empty: { dtype: 'F32', shape: [0, 4], data: new Uint8Array(0) },
        x: { dtype: 'F32', shape: [1], data: f32Bytes([2]) },
      }),
    );
    const store = await openSafetensors(file);
    expect((await store.readFloat32('empty')).length).toBe(0);
    expect([...(await store.readFloat32('x'))]).toEqual([2]);
  });

  it('skips unsupported dtypes only when asked, and lists them', async () => {
    const file = await write(
      buildSafetensors({
        'embeddings.position_ids': { dtype: 'I64', shape: [1, 2], data: new Uint8Array(16) },
        w: { dtype: 'F32', shape: [1], data: f32Bytes([3]) },
      }),
    );
    const store = await openSafetensors(file, { skipUnsupportedDtypes: true });
    expect([...store.tensors.keys()]).toEqual(['w']);
    expect(store.skipped).toEqual([{ name: 'embeddings.position_ids', dtype: 'I64' }]);
    const error = await expectModelError(
      openSafetensors(file),
      UnsupportedDtypeError,
      'SAMP_MODEL_UNSUPPORTED_DTYPE',
      [file, 'embeddings.position_ids', 'I64', 'F32, F16, BF16'],
    );
    expect(error.dtype).toBe('I64');
    expect(error.tensor).toBe('embeddings.position_ids');
  });

  it('refuses unknown tensor names with InvalidArgumentError', async () => {
    const file = await write(buildSafetensors({ w: { dtype: 'F32', shape: [1], data: f32Bytes([3]) } }));
    const store = await openSafetensors(file);
    await expectModelError(store.readBytes('nope'), InvalidArgumentError, 'SAMP_INVALID_ARGUMENT', [
      'nope',
      file,
    ]);
  });
});

describe('openSafetensors: malformed files', () => {
  const good = () =>
    buildSafetensors({
      'layer.w': { dtype: 'F32', shape: [2, 2], data: f32Bytes([1, 2, 3, 4]) },
      'layer.b': { dtype: 'F32', shape: [2], data: f32Bytes([5, 6]) },
    });

  it('refuses a missing file with ModelFileNotFoundError', async () => {
    const file = join(dir, 'absent.safetensors');
    await expectModelError(openSafetensors(file), ModelFileNotFoundError, 'SAMP_MODEL_FILE_NOT_FOUND', [
      file,
    ]);
  });

  it('refuses a truncated file, naming the tensor that runs past the end', async () => {
    const bytes = good();
    const file = await write(bytes.subarray(0, bytes.length - 3));
    await expectModelError(openSafetensors(file), SafetensorsFormatError, F32, [
      file,
      'layer.b',
      'truncated',
    ]);
  });

  it('refuses a file shorter than the 8-byte length', async () => {
    const file = await write(new Uint8Array([1, 2, 3]));
    await expectModelError(openSafetensors(file), SafetensorsFormatError, F32, [file, '3 bytes']);
  });

  it('refuses a header length past the end of the file before allocating it', async () => {
    const file = await write(buildSafetensorsRaw({}, new Uint8Array(0), 1_000_000n));
    await expectModelError(openSafetensors(file), SafetensorsFormatError, F32, [
      file,
      'header length 1000000',
    ]);
    const huge = await write(buildSafetensorsRaw({}, new Uint8Array(0), 2n ** 63n));
    await expectModelError(openSafetensors(huge), SafetensorsFormatError, F32, [huge, 'runs past the end']);
  });

  it('refuses a header that is not JSON, or not an object', async () => {
    const notJson = await write(buildSafetensorsRaw('{"a": ', new Uint8Array(0)));
    await expectModelError(openSafetensors(notJson), SafetensorsFormatError, F32, [
      notJson,
      'not valid JSON',
    ]);
    const array = await write(buildSafetensorsRaw('[1, 2]', new Uint8Array(0)));
    await expectModelError(openSafetensors(array), SafetensorsFormatError, F32, [array, 'not a JSON object']);
    const badUtf8 = await write(buildSafetensorsRaw('', new Uint8Array([0x7b, 0xff, 0x7d])));
    await expectModelError(openSafetensors(badUtf8), SafetensorsFormatError, F32, [badUtf8]);
  });

  it('refuses overlapping tensors', async () => {
    const header = {
      'a.w': { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      'b.w': { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    const file = await write(buildSafetensorsRaw(header, new Uint8Array(12)));
    await expectModelError(openSafetensors(file), SafetensorsFormatError, F32, [
      file,
      'b.w',
      'overlaps',
      'a.w',
    ]);
  });

  it('refuses offsets past the data section', async () => {
    const header = { 'a.w': { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
    const file = await write(buildSafetensorsRaw(header, new Uint8Array(12)));
    await expectModelError(openSafetensors(file), SafetensorsFormatError, F32, [
      file,
      'a.w',
      'data_offsets',
      '12 bytes',
    ]);
  });

  it('refuses a byte length that does not match the shape', async () => {
    const header = { 'a.w': { dtype: 'F16', shape: [2, 3], data_offsets: [0, 8] } };
    const file = await write(buildSafetensorsRaw(header, new Uint8Array(8)));
    await expectModelError(openSafetensors(file), SafetensorsFormatError, F32, [
      file,
      'a.w',
      'holds 8 bytes',
      'needs 12',
    ]);
  });

  it('refuses unsupported dtypes, naming the tensor', async () => {
    for (const dtype of ['I8', 'I64', 'F64', 'BOOL', 'F8_E4M3', 'NOT_A_DTYPE']) {
      const header = { 'x.y': { dtype, shape: [1], data_offsets: [0, 8] } };
      const file = await write(buildSafetensorsRaw(header, new Uint8Array(8)));
      await expectModelError(openSafetensors(file), UnsupportedDtypeError, 'SAMP_MODEL_UNSUPPORTED_DTYPE', [
        file,
        'x.y',
        dtype,
      ]);
    }
    // A dtype of unknown size cannot be skipped: its byte range could not be checked.
    const file = await write(
      buildSafetensorsRaw({ 'x.y': { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
    );
    await expectModelError(
      openSafetensors(file, { skipUnsupportedDtypes: true }),
      UnsupportedDtypeError,
      'SAMP_MODEL_UNSUPPORTED_DTYPE',
      ['x.y'],
    );
  });

  it('refuses entries with fields of the wrong type', async () => {
    const cases: [unknown, string][] = [
      [{ 'a.w': 3 }, 'expected an object'],
      [{ 'a.w': { dtype: 4, shape: [1], data_offsets: [0, 4] } }, 'dtype'],
      [{ 'a.w': { dtype: 'F32', shape: 'x', data_offsets: [0, 4] } }, 'shape'],
      [{ 'a.w': { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 'shape[0]'],
      [{ 'a.w': { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 'shape[0]'],
      [{ 'a.w': { dtype: 'F32', shape: [1], data_offsets: [0] } }, 'data_offsets'],
      [{ 'a.w': { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 'before begin'],
      [{ 'a.w': { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, 'more elements'],
    ];
    for (const [header, mention] of cases) {
      const file = await write(buildSafetensorsRaw(header, new Uint8Array(4)));
      await expectModelError(openSafetensors(file), SafetensorsFormatError, F32, [file, 'a.w', mention]);
    }
    const meta = await write(buildSafetensorsRaw({ __metadata__: { format: 1 } }, new Uint8Array(0)));
    await expectModelError(openSafetensors(meta), SafetensorsFormatError, F32, [meta, '__metadata__.format']);
  });

  it('reports a file truncated after it was opened when a tensor is read', async () => {
    const file = await write(good());
    const store = await openSafetensors(file);
    const info = store.tensors.get('layer.b');
    await truncate(file, (info?.byteOffset ?? 0) + 2);
    await expectModelError(store.readBytes('layer.b'), SafetensorsFormatError, F32, [
      file,
      'layer.b',
      'truncated',
    ]);
  });
});
