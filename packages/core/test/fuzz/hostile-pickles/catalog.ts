import { buildTorchCheckpoint, PickleWriter, torchStateDictPickle } from '../../helpers/pickle-writer';
import { buildZip } from '../../helpers/zip-writer';
import { writeUint } from '../support/mutate-bytes';
import { zipFields } from '../support/mutate-zip';

/**
 * The hostile pickle corpus: each entry is built here, committed as a file beside this one, and must be
 * refused with the named error without anything being executed. `.pkl` files are fed to the restricted
 * unpickler (as the `data.pkl` of a checkpoint), `.bin` files to `openTorchCheckpoint` whole.
 */
export interface HostilePickle {
  readonly file: string;
  /** What the file tries to do. */
  readonly tries: string;
  readonly expect: 'UnsafePickleError' | 'PickleFormatError';
  readonly code: 'SAMP_MODEL_UNSAFE_PICKLE' | 'SAMP_MODEL_PICKLE';
  /** For UnsafePickleError: the global named in the error. */
  readonly global?: string;
  /** Text the error message must contain. */
  readonly mentions?: string;
  readonly bytes: Uint8Array;
}

/** The file an `os.system('touch …')` payload would create if anything were executed. */
export const SENTINEL = '/tmp/samp-hostile-pickle-sentinel';
const TOUCH = `touch ${SENTINEL}`;

const text = (s: string) => [...new TextEncoder().encode(s)];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** `module.name(arg)` by GLOBAL + TUPLE1 + REDUCE, as `pickle.dumps` of a `__reduce__` payload writes it. */
function callGlobal(module: string, name: string, arg: string, proto = 2): Uint8Array {
  return new PickleWriter().proto(proto).global(module, name).str(arg).tuple(1).reduce().stop().bytes();
}

/** The same call by STACK_GLOBAL (protocol 4). */
function callStackGlobal(module: string, name: string, arg: string): Uint8Array {
  const w = new PickleWriter().proto(4).stackGlobal(module, name).shortStr(arg).raw(0x85).raw(0x52).stop();
  return w.bytes();
}

const unsafe = (file: string, tries: string, global: string, bytes: Uint8Array): HostilePickle => ({
  file,
  tries,
  expect: 'UnsafePickleError',
  code: 'SAMP_MODEL_UNSAFE_PICKLE',
  global,
  mentions: global,
  bytes,
});

const malformed = (file: string, tries: string, mentions: string, bytes: Uint8Array): HostilePickle => ({
  file,
  tries,
  expect: 'PickleFormatError',
  code: 'SAMP_MODEL_PICKLE',
  mentions,
  bytes,
});

const tensor = { name: 'w', storageType: 'FloatStorage', key: '0', storageNumel: 4, size: [2, 2] };

/** A torch state dict with one good tensor and `evil.weight` set to whatever `write` pushes. */
function stateDictWith(write: (w: PickleWriter) => void): Uint8Array {
  return torchStateDictPickle([tensor], (w) => {
    w.str('evil.weight');
    write(w);
  });
}

function checkpoint(pickle: Uint8Array, deflate = false): Uint8Array {
  return buildTorchCheckpoint({ pickle, storages: { '0': new Uint8Array(16) }, deflatePickle: deflate });
}

/** Rewrites the ZIP64 extra-field values (uncompressed, compressed size) of the central record of entry `index`. */
function patchZip64Sizes(
  zip: Uint8Array,
  index: number,
  uncompressed: bigint,
  compressed?: bigint,
): Uint8Array {
  const out = zip.slice();
  const values = zipFields(zip).filter((f) => f.what === 'zip64 extra value');
  // buildZip writes three values per entry: uncompressed size, compressed size, local header offset.
  const [u, c] = [values[3 * index], values[3 * index + 1]];
  if (u === undefined || c === undefined) throw new Error('no ZIP64 extra field for that entry');
  writeUint(out, u.offset, 8, uncompressed);
  if (compressed !== undefined) writeUint(out, c.offset, 8, compressed);
  return out;
}

function deepMarks(): Uint8Array {
  return new Uint8Array([0x80, 2, ...new Array(100_000).fill(0x28), 0x4e, 0x2e]);
}

export function hostilePickles(): HostilePickle[] {
  const list: HostilePickle[] = [
    // Forbidden globals, by every way a pickle can name one.
    unsafe(
      'global-os-system.pkl',
      `os.system('${TOUCH}') by GLOBAL + REDUCE`,
      'os.system',
      callGlobal('os', 'system', TOUCH),
    ),
    unsafe(
      'global-posix-system.pkl',
      'posix.system (what os.system pickles as on Linux)',
      'posix.system',
      callGlobal('posix', 'system', TOUCH),
    ),
    unsafe(
      'global-nt-system.pkl',
      'nt.system (what os.system pickles as on Windows)',
      'nt.system',
      callGlobal('nt', 'system', TOUCH),
    ),
    unsafe(
      'global-subprocess-popen.pkl',
      'subprocess.Popen(["touch", …])',
      'subprocess.Popen',
      new PickleWriter()
        .proto(2)
        .global('subprocess', 'Popen')
        .emptyList()
        .mark()
        .str('touch')
        .str(SENTINEL)
        .raw(0x65)
        .tuple(1)
        .reduce()
        .stop()
        .bytes(),
    ),
    unsafe(
      'global-subprocess-check-output.pkl',
      'subprocess.check_output',
      'subprocess.check_output',
      callGlobal('subprocess', 'check_output', TOUCH),
    ),
    unsafe(
      'builtins-eval.pkl',
      'builtins.eval("__import__(\'os\').system(…)")',
      'builtins.eval',
      callGlobal('builtins', 'eval', `__import__('os').system('${TOUCH}')`),
    ),
    unsafe(
      'builtins-exec.pkl',
      'builtins.exec of Python source',
      'builtins.exec',
      callGlobal('builtins', 'exec', `import os; os.system('${TOUCH}')`),
    ),
    unsafe(
      'builtins-getattr.pkl',
      'builtins.getattr to reach a method of an allowed object',
      'builtins.getattr',
      callGlobal('builtins', 'getattr', '__class__'),
    ),
    unsafe(
      'builtins-import.pkl',
      "builtins.__import__('os')",
      'builtins.__import__',
      callGlobal('builtins', '__import__', 'os'),
    ),
    unsafe(
      'builtin-eval-proto2.pkl',
      '__builtin__.eval (the Python 2 module name) at protocol 2',
      '__builtin__.eval',
      callGlobal('__builtin__', 'eval', TOUCH),
    ),
    unsafe(
      'builtin-eval-proto0.pkl',
      '__builtin__.eval in a protocol 0 text pickle (no PROTO opcode)',
      '__builtin__.eval',
      new Uint8Array(text(`c__builtin__\neval\n(S'${TOUCH}'\ntR.`)),
    ),
    unsafe(
      'torch-load.pkl',
      'torch.load of another file (recursive load)',
      'torch.load',
      callGlobal('torch', 'load', 'pytorch_model.bin'),
    ),
    unsafe(
      'torch-serialization-load.pkl',
      'torch.serialization._load',
      'torch.serialization._load',
      callGlobal('torch.serialization', '_load', 'x'),
    ),
    unsafe(
      'torch-rebuild-from-type.pkl',
      'torch._utils._rebuild_from_type_v2 (calls an arbitrary type)',
      'torch._utils._rebuild_from_type_v2',
      callGlobal('torch._utils', '_rebuild_from_type_v2', 'x'),
    ),
    unsafe(
      'torch-nn-module.pkl',
      'a whole nn.Module (torch.save(model))',
      'torch.nn.modules.linear.Linear',
      callGlobal('torch.nn.modules.linear', 'Linear', 'x'),
    ),
    unsafe(
      'stack-global-os-system.pkl',
      'os.system by STACK_GLOBAL (protocol 4)',
      'os.system',
      callStackGlobal('os', 'system', TOUCH),
    ),
    unsafe(
      'stack-global-memo-names.pkl',
      'STACK_GLOBAL of names fetched back from the memo (computed, not inline)',
      'builtins.exec',
      new PickleWriter()
        .proto(4)
        .shortStr('builtins')
        .memoize()
        .shortStr('exec')
        .memoize()
        .raw(0x30, 0x30)
        .get(0)
        .get(1)
        .raw(0x93)
        .shortStr(TOUCH)
        .raw(0x85, 0x52, 0x2e)
        .bytes(),
    ),
    unsafe(
      'stack-global-dunder.pkl',
      "an allowed function's attribute (_rebuild_tensor_v2.__globals__)",
      'torch._utils._rebuild_tensor_v2.__globals__',
      callStackGlobal('torch._utils', '_rebuild_tensor_v2.__globals__', 'x'),
    ),
    unsafe(
      'stack-global-newline-name.pkl',
      'a name with a newline that a text GLOBAL could not carry',
      'collections.OrderedDict\nos.system',
      callStackGlobal('collections', 'OrderedDict\nos.system', 'x'),
    ),
    malformed(
      'stack-global-non-string.pkl',
      'STACK_GLOBAL with a tuple as its module name',
      'STACK_GLOBAL needs two strings',
      new PickleWriter().proto(4).shortStr('os').raw(0x85).shortStr('system').raw(0x93, 0x2e).bytes(),
    ),
    // Calls through allowed objects.
    malformed(
      'reduce-memoized-callable.pkl',
      'REDUCE on the memoized collections.OrderedDict with attacker arguments',
      'only accepted with no arguments',
      new PickleWriter()
        .proto(2)
        .global('collections', 'OrderedDict')
        .raw(0x30)
        .get(0)
        .str(TOUCH)
        .tuple(1)
        .reduce()
        .stop()
        .bytes(),
    ),
    unsafe(
      'reduce-memoized-storage-class.pkl',
      'REDUCE on the memoized torch.FloatStorage tag (allowed as a tag, never callable)',
      'torch.FloatStorage',
      new PickleWriter()
        .proto(2)
        .global('torch', 'FloatStorage')
        .raw(0x30)
        .get(0)
        .str(TOUCH)
        .tuple(1)
        .reduce()
        .stop()
        .bytes(),
    ),
    malformed(
      'reduce-string.pkl',
      "REDUCE on the string 'os.system'",
      'REDUCE on a str',
      new PickleWriter().proto(2).str('os.system').str(TOUCH).tuple(1).reduce().stop().bytes(),
    ),
    // Object construction opcodes.
    unsafe(
      'inst-os-system.pkl',
      'INST os.system (protocol 0 instance creation)',
      'os.system',
      new Uint8Array([
        0x80,
        2,
        0x28,
        ...text(`X`),
        ...u32(TOUCH.length),
        ...text(TOUCH),
        0x69,
        ...text('os\nsystem\n'),
        0x2e,
      ]),
    ),
    malformed(
      'inst-allowed-class.pkl',
      'INST of an allow-listed class',
      'INST collections.OrderedDict is not supported',
      new Uint8Array([0x80, 2, 0x28, 0x69, ...text('collections\nOrderedDict\n'), 0x2e]),
    ),
    malformed(
      'obj-allowed-class.pkl',
      'OBJ (build an instance of a class on the stack)',
      'opcode 0x6f',
      new PickleWriter().proto(2).mark().global('collections', 'OrderedDict').raw(0x6f, 0x2e).bytes(),
    ),
    malformed(
      'newobj-allowed-class.pkl',
      'NEWOBJ (cls.__new__(cls, *args))',
      'opcode 0x81',
      new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple().raw(0x81, 0x2e).bytes(),
    ),
    unsafe(
      'newobj-os.pkl',
      'NEWOBJ of a forbidden class (refused at its GLOBAL)',
      'os._wrap_close',
      new PickleWriter().proto(2).global('os', '_wrap_close').emptyTuple().raw(0x81, 0x2e).bytes(),
    ),
    malformed(
      'newobj-ex.pkl',
      'NEWOBJ_EX (protocol 4 keyword construction)',
      'opcode 0x92',
      new PickleWriter()
        .proto(4)
        .global('collections', 'OrderedDict')
        .emptyTuple()
        .raw(0x7d, 0x92, 0x2e)
        .bytes(),
    ),
    malformed(
      'build-on-tensor.pkl',
      'BUILD (__setstate__) on a tensor with an attacker state',
      'BUILD on a torch.Tensor',
      stateDictWith((w) => {
        w.global('torch._utils', '_rebuild_tensor_v2').mark();
        w.mark()
          .str('storage')
          .global('torch', 'FloatStorage')
          .str('0')
          .str('cpu')
          .int(4)
          .tuple()
          .binpersid();
        w.int(0)
          .int(4)
          .tuple(1)
          .int(1)
          .tuple(1)
          .newFalse()
          .global('collections', 'OrderedDict')
          .emptyTuple()
          .reduce();
        w.tuple().reduce().emptyDict().str('__class__').str('os.system').setitem().build();
      }),
    ),
    malformed(
      'build-on-global.pkl',
      'BUILD on an allowed global (setting attributes of torch.FloatStorage)',
      'BUILD on a torch.FloatStorage',
      new PickleWriter().proto(2).global('torch', 'FloatStorage').emptyDict().build().stop().bytes(),
    ),
    // Persistent ids.
    malformed(
      'persid-text.pkl',
      'PERSID (protocol 0 persistent id)',
      'opcode 0x50',
      new Uint8Array([0x80, 2, 0x50, ...text('os.system\n'), 0x2e]),
    ),
    malformed(
      'binpersid-non-storage.pkl',
      "BINPERSID ('module', 'os', 'system')",
      'persistent id must be',
      new PickleWriter().proto(2).str('module').str('os').str('system').tuple(3).binpersid().stop().bytes(),
    ),
    malformed(
      'binpersid-string.pkl',
      "BINPERSID 'os.system'",
      'persistent id must be',
      new PickleWriter().proto(2).str('os.system').binpersid().stop().bytes(),
    ),
    unsafe(
      'binpersid-os-type.pkl',
      "BINPERSID ('storage', os.system, …): a forbidden class in the storage slot",
      'os.system',
      new PickleWriter()
        .proto(2)
        .mark()
        .str('storage')
        .global('os', 'system')
        .str('0')
        .str('cpu')
        .int(4)
        .tuple()
        .binpersid()
        .stop()
        .bytes(),
    ),
    malformed(
      'binpersid-storage-path-key.pkl',
      "BINPERSID ('storage', FloatStorage, '../../etc/passwd', …): a storage key that is a path",
      'storage key must be a plain string',
      new PickleWriter()
        .proto(2)
        .mark()
        .str('storage')
        .global('torch', 'FloatStorage')
        .str('../../etc/passwd')
        .str('cpu')
        .int(4)
        .tuple()
        .binpersid()
        .stop()
        .bytes(),
    ),
    // Nesting and sizes.
    malformed('deep-marks-100k.pkl', '100 000 nested MARKs', 'MARKs are open at once', deepMarks()),
    malformed(
      'deep-tuples-100k.pkl',
      'a tuple nested 100 000 deep (TUPLE1 chain)',
      'nested deeper than 1000',
      new Uint8Array([0x80, 2, 0x4e, ...new Array(100_000).fill(0x85), 0x2e]),
    ),
    malformed(
      'deep-lists-100k.pkl',
      '100 000 EMPTY_LISTs then APPENDs (nested lists)',
      'stack grows past',
      new Uint8Array([0x80, 2, ...new Array(100_001).fill(0x5d), ...new Array(100_000).fill(0x61), 0x2e]),
    ),
    malformed(
      'self-append-2000.pkl',
      'a list appended into itself 2 000 times (a cycle of unbounded depth)',
      'nested deeper than 1000',
      new Uint8Array([0x80, 2, 0x5d, ...new Array(2000).fill([0x32, 0x61]).flat(), 0x2e]),
    ),
    malformed(
      'memo-get-missing.pkl',
      'LONG_BINGET of memo entry 4294967295, never written',
      'memo entry 4294967295',
      new Uint8Array([0x80, 2, 0x6a, ...u32(0xffffffff), 0x2e]),
    ),
    malformed(
      'memo-huge-index.pkl',
      'LONG_BINPUT at 4294967295, then LONG_BINGET of its neighbour',
      'memo entry 4294967294',
      new Uint8Array([0x80, 2, 0x4e, 0x72, ...u32(0xffffffff), 0x30, 0x6a, ...u32(0xfffffffe), 0x2e]),
    ),
    malformed(
      'binunicode-huge-length.pkl',
      'BINUNICODE claiming 4 GiB in a few bytes',
      'ends in the middle',
      new Uint8Array([0x80, 2, 0x58, ...u32(0xffffffff), 0x61, 0x2e]),
    ),
    malformed(
      'binbytes8-huge-length.pkl',
      'BINBYTES8 claiming 2^63 bytes',
      'runs past the end',
      new Uint8Array([0x80, 4, 0x8e, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x2e]),
    ),
    malformed(
      'long4-huge.pkl',
      'LONG4 of 2 GiB (an integer too big to build)',
      'LONG4 of',
      new Uint8Array([0x80, 2, 0x8b, ...u32(0x7fffffff), 0x2e]),
    ),
    malformed(
      'frame-huge.pkl',
      'FRAME of 2^63 bytes',
      'runs past the end',
      new Uint8Array([0x80, 4, 0x95, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x2e]),
    ),
  ];

  // Whole checkpoints: zip archives around hostile pickles, and hostile archives.
  const evil = stateDictWith((w) => w.global('os', 'system').str(TOUCH).tuple(1).reduce());
  list.push(
    unsafe(
      'checkpoint-os-system.bin',
      'a torch zip whose data.pkl calls os.system',
      'os.system',
      checkpoint(evil),
    ),
  );
  list.push(
    unsafe(
      'checkpoint-deflated-os-system.bin',
      'the same with data.pkl deflated',
      'os.system',
      checkpoint(evil, true),
    ),
  );
  list.push(
    malformed(
      'checkpoint-legacy-pickle.bin',
      'a legacy (pre-zip) torch.save file: a bare pickle calling os.system',
      'legacy',
      callGlobal('os', 'system', TOUCH),
    ),
  );
  const good = checkpoint(torchStateDictPickle([tensor]), true);
  list.push(
    malformed(
      'zip-bomb-declared-size.bin',
      'data.pkl declared (ZIP64) as 1 TiB uncompressed',
      'over the limit',
      patchZip64Sizes(good, 0, 1n << 40n),
    ),
  );
  const bomb = buildZip(
    [
      { name: 'archive/data.pkl', data: new Uint8Array(16 * 1024 * 1024), method: 8 },
      { name: 'archive/data/0', data: new Uint8Array(16) },
    ],
    { zip64: true, dataDescriptor: true },
  );
  list.push(
    malformed(
      'zip-bomb-lying-size.bin',
      'data.pkl deflated from 16 MiB of zeros (16 KiB on disk) but declared as 1 000 bytes',
      'cannot be inflated',
      patchZip64Sizes(bomb, 0, 1000n),
    ),
  );
  const plain = buildTorchCheckpoint({
    pickle: torchStateDictPickle([tensor]),
    storages: { '0': new Uint8Array(16) },
  });
  // Entry 0 is data.pkl (stored): growing its sizes by 200 makes its data cover entry 1's local header.
  const pklSize = BigInt(torchStateDictPickle([tensor]).length + 200);
  list.push(
    malformed(
      'zip-overlapping-entries.bin',
      "data.pkl's byte range overlapping the next entry",
      'overlaps',
      patchZip64Sizes(plain, 0, pklSize, pklSize),
    ),
  );
  const traversal = (name: string) =>
    buildZip(
      [
        { name: 'archive/data.pkl', data: torchStateDictPickle([tensor]) },
        { name, data: new TextEncoder().encode(TOUCH) },
        { name: 'archive/data/0', data: new Uint8Array(16) },
      ],
      { zip64: true },
    );
  list.push(
    malformed(
      'zip-path-traversal.bin',
      'an entry named ../../../tmp/samp-evil',
      'climbs out of the archive',
      traversal('../../../tmp/samp-evil'),
    ),
  );
  list.push(
    malformed(
      'zip-absolute-path.bin',
      'an entry named /etc/cron.d/samp',
      'climbs out of the archive',
      traversal('/etc/cron.d/samp'),
    ),
  );
  list.push(
    malformed(
      'zip-dotdot-pickle.bin',
      'the only data.pkl is ../data.pkl (a top folder named "..")',
      'climbs out of the archive',
      buildZip([{ name: '../data.pkl', data: evil }], { zip64: true }),
    ),
  );
  return list;
}
