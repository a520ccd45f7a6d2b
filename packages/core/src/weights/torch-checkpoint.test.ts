import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectModelError } from '../../test/helpers/expect-model-error';
import {
  buildTorchCheckpoint,
  PickleWriter,
  type TorchTensorSpec,
  torchStateDictPickle,
} from '../../test/helpers/pickle-writer';
import { f32Bytes, u16Bytes } from '../../test/helpers/safetensors-writer';
import { makeTempDir, writeIn } from '../../test/helpers/temp-dir';
import { buildZip } from '../../test/helpers/zip-writer';
import {
  ModelFileNotFoundError,
  PickleFormatError,
  UnsafePickleError,
  UnsupportedDtypeError,
} from '../errors/model-errors';
import { openTorchCheckpoint } from './torch-checkpoint';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});

let counter = 0;
async function write(bytes: Uint8Array): Promise<string> {
  counter += 1;
  return writeIn(dir, `c${counter}/pytorch_model.bin`, bytes);
}

const PICKLE = 'SAMP_MODEL_PICKLE';

// Storage 0: 6 floats shared by `emb.weight` (2×3) and a tied view `tied.row` of its second row.
const tensors: TorchTensorSpec[] = [
  { name: 'emb.weight', storageType: 'FloatStorage', key: '0', storageNumel: 6, size: [2, 3] },
  { name: 'tied.row', storageType: 'FloatStorage', key: '0', storageNumel: 6, size: [3], storageOffset: 3 },
  { name: 'half.bias', storageType: 'HalfStorage', key: '1', storageNumel: 4, size: [4] },
  // size-1 dimensions may carry any stride; torch leaves odd ones there after slicing
  {
    name: 'bf.col',
    storageType: 'BFloat16Storage',
    key: '2',
    storageNumel: 2,
    size: [2, 1],
    stride: [1, 7],
    parameter: true,
  },
];
const storages = {
  '0': f32Bytes([1, 2, 3, 4, 5, 6]),
  '1': u16Bytes([0x3c00, 0x0001, 0xfc00, 0x8000]),
  '2': u16Bytes([0x3f80, 0xc040]),
};

describe('openTorchCheckpoint: torch.save archives', () => {
  for (const [label, zip] of [
    ['ZIP64 with data descriptors, as torch writes', {}],
    ['plain zip without alignment', { zip64: false, dataDescriptor: false, alignment: 1 }],
  ] as const) {
    it(`reads F32, F16 and BF16 tensors (${label})`, async () => {
      const file = await write(buildTorchCheckpoint({ tensors, storages, zip, prefix: 'pytorch_model' }));
      const store = await openTorchCheckpoint(file);
      expect([...store.tensors.keys()]).toEqual(['emb.weight', 'tied.row', 'half.bias', 'bf.col']);
      expect(store.files).toEqual([file]);
      expect(store.skipped).toEqual([]);
      expect([...(await store.readFloat32('emb.weight'))]).toEqual([1, 2, 3, 4, 5, 6]);
      expect([...(await store.readFloat32('tied.row'))]).toEqual([4, 5, 6]);
      const half = await store.readFloat32('half.bias');
      expect([...half.slice(0, 3)]).toEqual([1, 2 ** -24, -Infinity]);
      expect(Object.is(half[3], -0)).toBe(true);
      expect([...(await store.readFloat32('bf.col'))]).toEqual([1, -3]);
      const emb = store.tensors.get('emb.weight');
      const tied = store.tensors.get('tied.row');
      expect(emb).toMatchObject({ dtype: 'F32', shape: [2, 3], byteLength: 24, file });
      expect(tied?.byteOffset).toBe((emb?.byteOffset ?? 0) + 12);
      expect(store.tensors.get('bf.col')).toMatchObject({ dtype: 'BF16', shape: [2, 1], byteLength: 4 });
      if (zip.alignment === undefined) expect((emb?.byteOffset ?? 1) % 64).toBe(0);
    });
  }

  it('accepts a deflated data.pkl', async () => {
    const file = await write(buildTorchCheckpoint({ tensors, storages, deflatePickle: true }));
    expect([...(await (await openTorchCheckpoint(file)).readFloat32('emb.weight'))]).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
  });

  it('refuses F64 and integer tensors with UnsupportedDtypeError, or skips them when asked', async () => {
    const withLong: TorchTensorSpec[] = [
      ...tensors,
      {
        name: 'embeddings.position_ids',
        storageType: 'LongStorage',
        key: '3',
        storageNumel: 2,
        size: [1, 2],
      },
    ];
    const file = await write(
      buildTorchCheckpoint({ tensors: withLong, storages: { ...storages, '3': new Uint8Array(16) } }),
    );
    await expectModelError(openTorchCheckpoint(file), UnsupportedDtypeError, 'SAMP_MODEL_UNSUPPORTED_DTYPE', [
      file,
      'embeddings.position_ids',
      'I64',
    ]);
    const store = await openTorchCheckpoint(file, { skipUnsupportedDtypes: true });
    expect(store.skipped).toEqual([{ name: 'embeddings.position_ids', dtype: 'I64' }]);
    expect(store.tensors.has('embeddings.position_ids')).toBe(false);

    const f64 = await write(
      buildTorchCheckpoint({
        tensors: [{ name: 'd.w', storageType: 'DoubleStorage', key: '0', storageNumel: 1, size: [1] }],
        storages: { '0': new Uint8Array(8) },
      }),
    );
    await expectModelError(openTorchCheckpoint(f64), UnsupportedDtypeError, 'SAMP_MODEL_UNSUPPORTED_DTYPE', [
      f64,
      'd.w',
      'F64',
    ]);
  });
});

describe('openTorchCheckpoint: refusals', () => {
  it('refuses GLOBAL os.system inside the state dict, naming the file and the tensor', async () => {
    const pickle = torchStateDictPickle(tensors.slice(0, 1), (w) => {
      w.str('evil.weight').global('os', 'system').str('touch /tmp/pwned').tuple(1).reduce();
    });
    const file = await write(buildTorchCheckpoint({ pickle, storages }));
    const error = await expectModelError(
      openTorchCheckpoint(file),
      UnsafePickleError,
      'SAMP_MODEL_UNSAFE_PICKLE',
      [file, 'evil.weight', 'os.system'],
    );
    expect(error.global).toBe('os.system');
  });

  it('refuses non-contiguous strides', async () => {
    const file = await write(
      buildTorchCheckpoint({
        tensors: [
          {
            name: 't.weight',
            storageType: 'FloatStorage',
            key: '0',
            storageNumel: 6,
            size: [2, 3],
            stride: [1, 2],
          },
        ],
        storages,
      }),
    );
    await expectModelError(openTorchCheckpoint(file), PickleFormatError, PICKLE, [
      file,
      't.weight',
      'contiguous',
    ]);
  });

  it('refuses a tensor that runs past its storage, or a storage entry of the wrong size', async () => {
    const past = await write(
      buildTorchCheckpoint({
        tensors: [
          {
            name: 't.weight',
            storageType: 'FloatStorage',
            key: '0',
            storageNumel: 6,
            size: [4],
            storageOffset: 3,
          },
        ],
        storages,
      }),
    );
    await expectModelError(openTorchCheckpoint(past), PickleFormatError, PICKLE, [
      past,
      't.weight',
      'run past its storage',
    ]);
    const short = await write(
      buildTorchCheckpoint({
        tensors: [{ name: 't.weight', storageType: 'FloatStorage', key: '0', storageNumel: 8, size: [8] }],
        storages,
      }),
    );
    await expectModelError(openTorchCheckpoint(short), PickleFormatError, PICKLE, [
      short,
      't.weight',
      'archive/data/0',
      'need 32',
    ]);
  });

  it('refuses a storage without its data entry, or a compressed one', async () => {
    const missing = await write(
      buildTorchCheckpoint({ tensors, storages: { '0': storages['0'], '2': storages['2'] } }),
    );
    await expectModelError(openTorchCheckpoint(missing), PickleFormatError, PICKLE, [
      missing,
      'half.bias',
      'archive/data/1',
    ]);
    const deflated = await write(buildTorchCheckpoint({ tensors, storages, deflateStorages: true }));
    await expectModelError(openTorchCheckpoint(deflated), PickleFormatError, PICKLE, [
      deflated,
      'emb.weight',
      'compressed',
    ]);
  });

  it('refuses anything but a flat dict of tensors', async () => {
    const list = new PickleWriter().proto(2).emptyList().stop().bytes();
    const a = await write(buildTorchCheckpoint({ pickle: list, storages: {} }));
    await expectModelError(openTorchCheckpoint(a), PickleFormatError, PICKLE, [a, 'found a list']);
    const nested = torchStateDictPickle(tensors.slice(0, 1), (w) => {
      w.str('state_dict').emptyDict();
    });
    const b = await write(buildTorchCheckpoint({ pickle: nested, storages }));
    await expectModelError(openTorchCheckpoint(b), PickleFormatError, PICKLE, [
      b,
      'state_dict',
      'expected a tensor',
    ]);
  });

  it('refuses files that are not torch zip archives', async () => {
    const legacy = await write(
      new Uint8Array([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]),
    );
    await expectModelError(openTorchCheckpoint(legacy), PickleFormatError, PICKLE, [legacy, 'legacy']);
    const junk = await write(new TextEncoder().encode('hello, not a zip'));
    await expectModelError(openTorchCheckpoint(junk), PickleFormatError, PICKLE, [junk, 'zip archive']);
    const noPickle = await write(buildZip([{ name: 'archive/data/0', data: new Uint8Array(4) }]));
    await expectModelError(openTorchCheckpoint(noPickle), PickleFormatError, PICKLE, [noPickle, 'data.pkl']);
    await expectModelError(
      openTorchCheckpoint(join(dir, 'absent.bin')),
      ModelFileNotFoundError,
      'SAMP_MODEL_FILE_NOT_FOUND',
      [join(dir, 'absent.bin')],
    );
  });

  it('refuses truncated or corrupt archives', async () => {
    const good = buildTorchCheckpoint({ tensors, storages });
    const truncated = await write(good.subarray(0, good.length - 30));
    await expectModelError(openTorchCheckpoint(truncated), PickleFormatError, PICKLE, [truncated]);
    const cut = await write(good.subarray(0, 2000));
    await expectModelError(openTorchCheckpoint(cut), PickleFormatError, PICKLE, [cut]);

    // Flip a byte inside data.pkl: its CRC-32 no longer matches.
    const corrupt = good.slice();
    const at = good.indexOf(0x80); // PROTO, the first byte of data.pkl
    corrupt[at + 5] = (corrupt[at + 5] as number) ^ 0xff;
    const crc = await write(corrupt);
    await expectModelError(openTorchCheckpoint(crc), PickleFormatError, PICKLE, [crc, 'CRC-32']);

    // Point the central directory past the end of the file, in the ZIP64 end record and in a plain one.
    const zip64Far = good.slice();
    const record = zip64Far.length - 22 - 20 - 56;
    expect(new DataView(zip64Far.buffer).getUint32(record, true)).toBe(0x06064b50);
    new DataView(zip64Far.buffer).setBigUint64(record + 48, BigInt(zip64Far.length + 100), true);
    const far64 = await write(zip64Far);
    await expectModelError(openTorchCheckpoint(far64), PickleFormatError, PICKLE, [
      far64,
      'central directory',
    ]);
    const plainFar = buildTorchCheckpoint({ tensors, storages, zip: { zip64: false } });
    new DataView(plainFar.buffer).setUint32(plainFar.length - 22 + 16, plainFar.length + 100, true);
    const far = await write(plainFar);
    await expectModelError(openTorchCheckpoint(far), PickleFormatError, PICKLE, [far, 'central directory']);

    const big = await write(buildTorchCheckpoint({ tensors, storages, byteorder: 'big' }));
    await expectModelError(openTorchCheckpoint(big), PickleFormatError, PICKLE, [big, 'byte order "big"']);
  });
});
