import { buildZip, type ZipOptions } from './zip-writer';

/**
 * Assembles a pickle opcode by opcode, with the encodings CPython's pickler chooses (BININT1/2,
 * BININT, LONG1; BINPUT up to 255, LONG_BINPUT after), so tests can write exactly what torch writes.
 */
export class PickleWriter {
  readonly #bytes: number[] = [];
  #nextMemo = 0;

  raw(...bytes: number[]): this {
    this.#bytes.push(...bytes);
    return this;
  }
  #u32(v: number): this {
    return this.raw(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  proto(version = 2): this {
    return this.raw(0x80, version);
  }
  /** GLOBAL `module\nname\n`, then memoized as pickle does. */
  global(module: string, name: string): this {
    this.raw(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
    return this.put();
  }
  /** STACK_GLOBAL (protocol 4) of two SHORT_BINUNICODE strings. */
  stackGlobal(module: string, name: string): this {
    return this.shortStr(module).memoize().shortStr(name).memoize().raw(0x93).memoize();
  }
  /** BINUNICODE, memoized. */
  str(s: string): this {
    const bytes = new TextEncoder().encode(s);
    this.raw(0x58);
    this.#u32(bytes.length);
    return this.raw(...bytes).put();
  }
  /** SHORT_BINUNICODE (protocol 4), not memoized. */
  shortStr(s: string): this {
    const bytes = new TextEncoder().encode(s);
    return this.raw(0x8c, bytes.length, ...bytes);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= 0 && n < 65536) return this.raw(0x4d, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.raw(0x4a).#u32(n >>> 0);
    let v = BigInt(n);
    const bytes: number[] = [];
    for (;;) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
      const sign = (bytes[bytes.length - 1] as number) & 0x80;
      if ((v === 0n && !sign) || (v === -1n && sign)) break;
    }
    return this.raw(0x8a, bytes.length, ...bytes);
  }
  /** BINPUT / LONG_BINPUT of the next memo index. */
  put(): this {
    const i = this.#nextMemo++;
    return i < 256 ? this.raw(0x71, i) : this.raw(0x72).#u32(i);
  }
  memoize(): this {
    this.#nextMemo++;
    return this.raw(0x94);
  }
  get(i: number): this {
    return i < 256 ? this.raw(0x68, i) : this.raw(0x6a).#u32(i);
  }
  /** The memo index the next `put` will use. */
  get nextMemo(): number {
    return this.#nextMemo;
  }
  mark(): this {
    return this.raw(0x28);
  }
  /** A tuple of the values pushed since `mark()` (or TUPLE1-3 without a mark). */
  tuple(size?: 1 | 2 | 3): this {
    return this.raw(size === undefined ? 0x74 : 0x84 + size).put();
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  emptyDict(): this {
    return this.raw(0x7d).put();
  }
  emptyList(): this {
    return this.raw(0x5d).put();
  }
  reduce(): this {
    return this.raw(0x52).put();
  }
  newFalse(): this {
    return this.raw(0x89);
  }
  newTrue(): this {
    return this.raw(0x88);
  }
  none(): this {
    return this.raw(0x4e);
  }
  setitem(): this {
    return this.raw(0x73);
  }
  setitems(): this {
    return this.raw(0x75);
  }
  append(): this {
    return this.raw(0x61);
  }
  build(): this {
    return this.raw(0x62);
  }
  binpersid(): this {
    return this.raw(0x51);
  }
  stop(): this {
    return this.raw(0x2e);
  }
  bytes(): Uint8Array {
    return new Uint8Array(this.#bytes);
  }
}

/** One tensor of a hand-assembled torch state dict. */
export interface TorchTensorSpec {
  name: string;
  /** `FloatStorage`, `HalfStorage`, `BFloat16Storage`, `LongStorage`, … */
  storageType: string;
  /** The storage key: its bytes are the entry `<top>/data/<key>`. */
  key: string;
  /** Elements in the whole storage. */
  storageNumel: number;
  size: number[];
  /** Defaults to contiguous row-major. */
  stride?: number[];
  storageOffset?: number;
  /** Wrap in `torch._utils._rebuild_parameter`, as an `nn.Parameter` saved whole would be. */
  parameter?: boolean;
}

function contiguous(size: readonly number[]): number[] {
  const stride = new Array<number>(size.length).fill(1);
  for (let d = size.length - 2; d >= 0; d--) stride[d] = (stride[d + 1] as number) * (size[d + 1] as number);
  return stride;
}

function intTuple(w: PickleWriter, values: readonly number[]): void {
  if (values.length === 0) {
    w.emptyTuple();
    return;
  }
  if (values.length <= 3) {
    for (const v of values) w.int(v);
    w.tuple(values.length as 1 | 2 | 3);
    return;
  }
  w.mark();
  for (const v of values) w.int(v);
  w.tuple();
}

/**
 * The `data.pkl` of `torch.save(state_dict)` at protocol 2, byte for byte in torch's layout:
 * `OrderedDict()` by REDUCE, tensors by `_rebuild_tensor_v2` with persistent ids
 * `('storage', torch.<Type>Storage, key, 'cpu', numel)`, SETITEMS, then the `_metadata` BUILD.
 * `inject` may write extra key/value pairs into the dict (for refusal tests).
 */
export function torchStateDictPickle(
  tensors: readonly TorchTensorSpec[],
  inject?: (w: PickleWriter) => void,
): Uint8Array {
  const w = new PickleWriter().proto(2);
  const orderedDict = w.nextMemo;
  w.global('collections', 'OrderedDict').emptyTuple().reduce();
  w.mark();
  const memo = new Map<string, number>();
  const remember = (key: string, write: () => void) => {
    const at = memo.get(key);
    if (at !== undefined) {
      w.get(at);
      return;
    }
    memo.set(key, w.nextMemo);
    write();
  };
  for (const t of tensors) {
    w.str(t.name);
    if (t.parameter) remember('global:param', () => w.global('torch._utils', '_rebuild_parameter'));
    remember('global:rebuild', () => w.global('torch._utils', '_rebuild_tensor_v2'));
    w.mark();
    w.mark();
    remember('str:storage', () => w.str('storage'));
    remember(`global:${t.storageType}`, () => w.global('torch', t.storageType));
    w.str(t.key);
    remember('str:cpu', () => w.str('cpu'));
    w.int(t.storageNumel);
    w.tuple();
    w.binpersid();
    w.int(t.storageOffset ?? 0);
    intTuple(w, t.size);
    intTuple(w, t.stride ?? contiguous(t.size));
    w.newFalse();
    w.get(orderedDict).emptyTuple().reduce();
    w.tuple();
    w.reduce();
    if (t.parameter) {
      w.newFalse();
      w.get(orderedDict).emptyTuple().reduce();
      w.tuple(3);
      w.reduce();
    }
  }
  inject?.(w);
  w.setitems();
  // state = {'_metadata': OrderedDict({'': {'version': 1}})}, then BUILD, as nn.Module.state_dict() leaves it
  w.emptyDict();
  w.str('_metadata');
  w.get(orderedDict).emptyTuple().reduce();
  w.str('');
  w.emptyDict();
  w.str('version');
  w.int(1);
  w.setitem();
  w.setitem();
  w.setitem();
  w.build();
  w.stop();
  return w.bytes();
}

/** What `buildTorchCheckpoint` writes. */
export interface TorchCheckpointSpec {
  /** The archive's top folder (torch uses the file's stem, e.g. `archive` or `pytorch_model`). */
  prefix?: string;
  /** `data.pkl`; by default the pickle of `tensors`. */
  pickle?: Uint8Array;
  tensors?: readonly TorchTensorSpec[];
  /** Storage bytes by key. */
  storages: Readonly<Record<string, Uint8Array>>;
  byteorder?: string;
  /** Store data.pkl deflated (torch stores it; readers must accept both). */
  deflatePickle?: boolean;
  /** Store storages deflated (torch never does; samp refuses). */
  deflateStorages?: boolean;
  zip?: ZipOptions;
}

/** The bytes of a `pytorch_model.bin` as `torch.save` (zip format) lays it out. */
export function buildTorchCheckpoint(spec: TorchCheckpointSpec): Uint8Array {
  const prefix = spec.prefix ?? 'archive';
  const text = (s: string) => new TextEncoder().encode(s);
  const pickle = spec.pickle ?? torchStateDictPickle(spec.tensors ?? []);
  return buildZip(
    [
      { name: `${prefix}/data.pkl`, data: pickle, method: spec.deflatePickle ? 8 : 0 },
      { name: `${prefix}/.format_version`, data: text('1') },
      { name: `${prefix}/.storage_alignment`, data: text('64') },
      { name: `${prefix}/byteorder`, data: text(spec.byteorder ?? 'little') },
      ...Object.entries(spec.storages).map(([key, data]) => ({
        name: `${prefix}/data/${key}`,
        data,
        method: spec.deflateStorages ? (8 as const) : (0 as const),
      })),
      { name: `${prefix}/version`, data: text('3\n') },
      { name: `${prefix}/.data/serialization_id`, data: text('1234567890123456789012345678901234567890') },
    ],
    { zip64: true, dataDescriptor: true, ...spec.zip },
  );
}
