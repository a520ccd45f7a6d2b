import { describe, expect, it } from 'vitest';
import { expectModelError } from '../../test/helpers/expect-model-error';
import { PickleWriter, torchStateDictPickle } from '../../test/helpers/pickle-writer';
import { PickleFormatError, UnsafePickleError } from '../errors/model-errors';
import { PyDict, type PyList, PyTuple, type PyValue } from './python-values';
import { createStorageLoader, resolveTorchGlobal, TensorRef } from './torch-globals';
import { type UnpickleLimits, unpickle } from './unpickler';

const FILE = '/models/evil/pytorch_model.bin';

function load(bytes: Uint8Array, limits?: Partial<UnpickleLimits>): PyValue {
  return unpickle(bytes, {
    file: FILE,
    field: 'archive/data.pkl',
    resolveGlobal: resolveTorchGlobal,
    persistentLoad: createStorageLoader(),
    ...(limits === undefined ? {} : { limits }),
  });
}

const tensor = { name: 'good.weight', storageType: 'FloatStorage', key: '0', storageNumel: 4, size: [2, 2] };

/** A torch state dict whose second entry, `evil.weight`, is whatever `write` puts there. */
function stateDictWith(write: (w: PickleWriter) => void): Uint8Array {
  return torchStateDictPickle([tensor], (w) => {
    w.str('evil.weight');
    write(w);
  });
}

const UNSAFE = 'SAMP_MODEL_UNSAFE_PICKLE';
const PICKLE = 'SAMP_MODEL_PICKLE';

describe('unpickle: what torch writes', () => {
  it('builds the state dict of a torch.save pickle', () => {
    const root = load(
      torchStateDictPickle([
        tensor,
        {
          name: 'p',
          storageType: 'HalfStorage',
          key: '1',
          storageNumel: 3_000_000_000,
          size: [3_000_000_000],
          parameter: true,
        },
        { name: 'tied', storageType: 'FloatStorage', key: '0', storageNumel: 4, size: [2], storageOffset: 2 },
      ]),
    );
    expect(root).toBeInstanceOf(PyDict);
    const entries = (root as PyDict).entries;
    expect([...entries.keys()]).toEqual(['good.weight', 'p', 'tied']);
    const good = entries.get('good.weight') as TensorRef;
    expect(good).toBeInstanceOf(TensorRef);
    expect(good.size).toEqual([2, 2]);
    expect(good.stride).toEqual([2, 1]);
    expect(good.storage.key).toBe('0');
    const p = entries.get('p') as TensorRef;
    expect(p.storage.storageType).toBe('HalfStorage');
    expect(p.storage.numel).toBe(3_000_000_000);
    const tied = entries.get('tied') as TensorRef;
    expect(tied.storage).toBe(good.storage);
    expect(tied.storageOffset).toBe(2);
  });

  it('decodes scalars, containers, memo and protocol 4 opcodes', () => {
    const w = new PickleWriter().proto(4);
    w.raw(0x95, 40, 0, 0, 0, 0, 0, 0, 0); // FRAME
    w.raw(0x5d).memoize(); // EMPTY_LIST
    w.mark();
    w.int(-1)
      .int(70000)
      .int(2 ** 40)
      .int(-(2 ** 40));
    w.raw(0x47, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18); // BINFLOAT pi
    w.shortStr('é').none().newTrue().raw(0x43, 2, 1, 2); // SHORT_BINBYTES
    w.raw(0x65); // APPENDS
    w.get(0).raw(0x85); // the list inside a 1-tuple
    w.raw(0x87 - 1); // TUPLE2 (list, (list,))
    w.stop();
    const value = load(w.bytes()) as PyTuple;
    expect(value).toBeInstanceOf(PyTuple);
    const list = value.items[0] as PyList;
    expect(list.items.slice(0, 8)).toEqual([-1, 70000, 2 ** 40, -(2 ** 40), Math.PI, 'é', null, true]);
    expect([...(list.items[8] as Uint8Array)]).toEqual([1, 2]);
    expect((value.items[1] as PyTuple).items[0]).toBe(list);
  });
});

describe('unpickle: refusals', () => {
  it('refuses GLOBAL os.system at once, naming the file and the tensor', async () => {
    // Followed by an unknown opcode: the refusal must come first, at the GLOBAL itself.
    const bytes = stateDictWith((w) => w.global('os', 'system').raw(0xff));
    const error = await expectModelError(() => load(bytes), UnsafePickleError, UNSAFE, [
      FILE,
      'evil.weight',
      'os.system',
    ]);
    expect(error.global).toBe('os.system');
    expect(error.tensor).toBe('evil.weight');
  });

  it('refuses other dangerous globals', async () => {
    for (const [module, name] of [
      ['posix', 'system'],
      ['subprocess', 'Popen'],
      ['builtins', 'eval'],
      ['__builtin__', 'eval'],
      ['torch.nn.modules.linear', 'Linear'],
      ['torch', 'load'],
      ['torch._utils', '_rebuild_from_type_v2'],
      ['collections', 'namedtuple'],
    ]) {
      const bytes = stateDictWith((w) =>
        w
          .global(module as string, name as string)
          .str('x')
          .tuple(1)
          .reduce(),
      );
      await expectModelError(() => load(bytes), UnsafePickleError, UNSAFE, [
        FILE,
        'evil.weight',
        `${module}.${name}`,
      ]);
    }
  });

  it('refuses STACK_GLOBAL builtins.eval', async () => {
    const w = new PickleWriter().proto(4).raw(0x7d).memoize().shortStr('evil.weight').memoize();
    w.stackGlobal('builtins', 'eval').shortStr('1+1').raw(0x85).raw(0x52).raw(0x73).stop();
    await expectModelError(() => load(w.bytes()), UnsafePickleError, UNSAFE, [
      FILE,
      'evil.weight',
      'builtins.eval',
    ]);
  });

  it('refuses INST os.system', async () => {
    const w = new PickleWriter().proto(2).emptyDict().str('evil.weight').mark();
    w.raw(0x69, ...new TextEncoder().encode('os\nsystem\n')).stop();
    await expectModelError(() => load(w.bytes()), UnsafePickleError, UNSAFE, [
      FILE,
      'evil.weight',
      'os.system',
    ]);
  });

  it('refuses REDUCE on an allow-listed global that is not a callable', async () => {
    const bytes = stateDictWith((w) => w.global('torch', 'FloatStorage').str('rm -rf /').tuple(1).reduce());
    await expectModelError(() => load(bytes), UnsafePickleError, UNSAFE, [
      FILE,
      'evil.weight',
      'torch.FloatStorage',
    ]);
  });

  it('refuses REDUCE on a value that is not a global', async () => {
    const bytes = stateDictWith((w) => w.str('os.system').str('ls').tuple(1).reduce());
    await expectModelError(() => load(bytes), PickleFormatError, PICKLE, [
      FILE,
      'evil.weight',
      'REDUCE on a str',
    ]);
  });

  it('refuses allow-listed callables with wrong arguments', async () => {
    const bytes = stateDictWith((w) =>
      w.global('torch._utils', '_rebuild_tensor_v2').str('x').tuple(1).reduce(),
    );
    await expectModelError(() => load(bytes), PickleFormatError, PICKLE, [
      FILE,
      'evil.weight',
      '6 or 7 arguments',
    ]);
    const od = stateDictWith((w) => w.global('collections', 'OrderedDict').str('x').tuple(1).reduce());
    await expectModelError(() => load(od), PickleFormatError, PICKLE, [FILE, 'evil.weight', 'no arguments']);
  });

  it('refuses deep nesting: open MARKs, nested tuples, nested lists', async () => {
    const marks = new PickleWriter().proto(2);
    for (let i = 0; i < 1001; i++) marks.mark();
    await expectModelError(() => load(marks.bytes()), PickleFormatError, PICKLE, [FILE, 'MARK']);
    const tuples = new PickleWriter().proto(2).none();
    for (let i = 0; i < 1001; i++) tuples.raw(0x85);
    await expectModelError(() => load(tuples.raw(0x2e).bytes()), PickleFormatError, PICKLE, [
      FILE,
      'nested deeper than 1000',
    ]);
    const lists = new PickleWriter().proto(2);
    for (let i = 0; i < 1002; i++) lists.raw(0x5d);
    for (let i = 0; i < 1001; i++) lists.raw(0x61);
    await expectModelError(() => load(lists.raw(0x2e).bytes()), PickleFormatError, PICKLE, [
      FILE,
      'nested deeper than 1000',
    ]);
    // The tensor being built is named even in a state dict.
    const nested = stateDictWith((w) => {
      for (let i = 0; i < 1001; i++) w.raw(0x5d);
    });
    await expectModelError(
      () => load(nested, { maxDepth: 1000, maxStack: 1000 }),
      PickleFormatError,
      PICKLE,
      ['evil.weight', 'stack grows past 1000'],
    );
  });

  it('refuses pickles over the object limit', async () => {
    const w = new PickleWriter().proto(2).emptyList().mark();
    for (let i = 0; i < 50; i++) w.int(i);
    w.raw(0x65).stop();
    expect((load(w.bytes()) as PyList).items.length).toBe(50);
    await expectModelError(() => load(w.bytes(), { maxObjects: 20 }), PickleFormatError, PICKLE, [
      FILE,
      'more than 20 values',
    ]);
  });

  it('refuses unknown opcodes, naming the opcode and the byte offset', async () => {
    const bytes = stateDictWith((w) => w.raw(0xff));
    const at = bytes.indexOf(0xff);
    await expectModelError(() => load(bytes), PickleFormatError, PICKLE, [
      FILE,
      'evil.weight',
      'opcode 0xff',
      `byte ${at}`,
    ]);
    // Protocol-0 text opcodes and object construction are not supported either.
    for (const op of [0x49 /* INT */, 0x81 /* NEWOBJ */, 0x8f /* EMPTY_SET */, 0x50 /* PERSID */]) {
      const w = new PickleWriter().proto(2).raw(op, 0x0a).stop();
      await expectModelError(() => load(w.bytes()), PickleFormatError, PICKLE, [
        `opcode 0x${op.toString(16)}`,
        'byte 2',
      ]);
    }
  });

  it('refuses malformed streams', async () => {
    const cases: [Uint8Array, string][] = [
      [new PickleWriter().proto(2).emptyDict().bytes(), 'without a STOP'],
      [new PickleWriter().proto(6).none().stop().bytes(), 'protocol 6'],
      [new PickleWriter().proto(2).get(5).stop().bytes(), 'memo entry 5'],
      [new PickleWriter().proto(2).raw(0x58, 9, 0, 0, 0, 0x61).stop().bytes(), 'ends in the middle'],
      [new PickleWriter().proto(2).none().none().stop().bytes(), 'STOP with 2 values'],
      [new PickleWriter().proto(2).none().stop().raw(0x4e).bytes(), 'follow the STOP'],
      [new PickleWriter().proto(2).raw(0x74).stop().bytes(), 'needs a MARK'],
      [new PickleWriter().proto(2).raw(0x30).stop().bytes(), 'POP on an empty stack'],
      [new PickleWriter().proto(2).none().none().none().raw(0x73).stop().bytes(), 'SETITEM(S) on a None'],
      [
        new PickleWriter().proto(2).emptyDict().emptyList().none().raw(0x73).stop().bytes(),
        'dict key of type list',
      ],
      [new PickleWriter().proto(2).raw(0x63, 0x6f, 0x73).stop().bytes(), 'not terminated'],
      [new PickleWriter().proto(2).none().raw(0x51).stop().bytes(), 'persistent id'],
      [new PickleWriter().proto(2).none().none().raw(0x62).stop().bytes(), 'BUILD on a None'],
    ];
    for (const [bytes, mention] of cases) {
      await expectModelError(() => load(bytes), PickleFormatError, PICKLE, [FILE, mention]);
    }
  });
});
