import fc from 'fast-check';
import { INTERESTING_INTS, writeUint } from './mutate-bytes';

/** One opcode of a pickle, with its argument bytes. */
export interface PickleOp {
  readonly bytes: Uint8Array;
  /** Offset and width of its length (or integer) argument inside `bytes`, when it has one. */
  readonly lengthField?: { readonly offset: number; readonly width: 1 | 2 | 4 | 8 };
}

const FIXED: Readonly<Record<number, number>> = {
  128: 1, // PROTO
  149: 8, // FRAME
  113: 1, // BINPUT
  114: 4, // LONG_BINPUT
  104: 1, // BINGET
  106: 4, // LONG_BINGET
  74: 4, // BININT
  75: 1, // BININT1
  77: 2, // BININT2
  71: 8, // BINFLOAT
};
const COUNTED: Readonly<Record<number, 1 | 4 | 8>> = {
  88: 4, // BINUNICODE
  140: 1, // SHORT_BINUNICODE
  141: 8, // BINUNICODE8
  84: 4, // BINSTRING
  85: 1, // SHORT_BINSTRING
  66: 4, // BINBYTES
  67: 1, // SHORT_BINBYTES
  142: 8, // BINBYTES8
  138: 1, // LONG1
  139: 4, // LONG4
};

/**
 * Splits a well-formed pickle (protocol 2–5, as torch writes) into opcodes. Only used on seeds, so
 * it may assume they are valid.
 */
export function disassemble(pickle: Uint8Array): PickleOp[] {
  const ops: PickleOp[] = [];
  const view = new DataView(pickle.buffer, pickle.byteOffset, pickle.byteLength);
  let p = 0;
  while (p < pickle.length) {
    const op = pickle[p] as number;
    let end = p + 1;
    let lengthField: PickleOp['lengthField'];
    const fixed = FIXED[op];
    const counted = COUNTED[op];
    if (fixed !== undefined) {
      end += fixed;
      if (fixed !== 8 || op === 0x95) lengthField = { offset: 1, width: fixed as 1 | 2 | 4 | 8 };
    } else if (counted !== undefined) {
      const n =
        counted === 1
          ? (pickle[p + 1] as number)
          : counted === 4
            ? view.getUint32(p + 1, true)
            : Number(view.getBigUint64(p + 1, true));
      end += counted + n;
      lengthField = { offset: 1, width: counted };
    } else if (op === 0x63 || op === 0x69) {
      const first = pickle.indexOf(0x0a, p + 1);
      end = pickle.indexOf(0x0a, first + 1) + 1;
    }
    ops.push({ bytes: pickle.slice(p, end), ...(lengthField === undefined ? {} : { lengthField }) });
    p = end;
  }
  return ops;
}

export function assemble(ops: readonly PickleOp[]): Uint8Array {
  let n = 0;
  for (const op of ops) n += op.bytes.length;
  const out = new Uint8Array(n);
  let p = 0;
  for (const op of ops) {
    out.set(op.bytes, p);
    p += op.bytes.length;
  }
  return out;
}

const text = (s: string) => [...new TextEncoder().encode(s)];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** Opcode sequences inserted by the `insert` mutation; the first few are the hostile classics. */
export const PALETTE: readonly number[][] = [
  [0x28], // MARK
  [0x2e], // STOP
  [0x30], // POP
  [0x31], // POP_MARK
  [0x32], // DUP
  [0x74], // TUPLE
  [0x85], // TUPLE1
  [0x52], // REDUCE
  [0x62], // BUILD
  [0x75], // SETITEMS
  [0x73], // SETITEM
  [0x65], // APPENDS
  [0x61], // APPEND
  [0x51], // BINPERSID
  [0x50, ...text('0\n')], // PERSID (protocol 0)
  [0x7d], // EMPTY_DICT
  [0x5d], // EMPTY_LIST
  [0x29], // EMPTY_TUPLE
  [0x4e], // NONE
  [0x94], // MEMOIZE
  [0x71, 0], // BINPUT 0
  [0x68, 0], // BINGET 0
  [0x68, 255], // BINGET of a missing entry
  [0x6a, ...u32(0xffffffff)], // LONG_BINGET of a missing entry
  [0x72, ...u32(0xffffffff)], // LONG_BINPUT at a huge index
  [0x58, ...u32(0xffffffff), 0x61], // BINUNICODE claiming 4 GiB
  [0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // BINUNICODE8 claiming 2^64-1
  [0x8e, 0, 0, 0, 0, 0, 0, 0, 0x80], // BINBYTES8 claiming 2^63
  [0x54, ...u32(0x80000000)], // BINSTRING with a negative length
  [0x8b, ...u32(0x7fffffff)], // LONG4 claiming 2 GiB
  [0x95, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // FRAME of 2^63
  [0x63, ...text('os\nsystem\n')], // GLOBAL os.system
  [0x63, ...text('builtins\neval\n')],
  [0x63, ...text('torch\nload\n')],
  [0x63, ...text('collections\nOrderedDict\n')],
  [0x63, ...text('torch._utils\n_rebuild_tensor_v2\n')],
  [0x63, ...text('torch\nFloatStorage\n')],
  [0x63, ...text('torch\nLongStorage\n')],
  [0x8c, 2, ...text('os'), 0x8c, 6, ...text('system'), 0x93], // STACK_GLOBAL os.system
  [0x93], // STACK_GLOBAL on whatever is on the stack
  [0x69, ...text('collections\nOrderedDict\n')], // INST
  [0x6f], // OBJ
  [0x81], // NEWOBJ
  [0x92], // NEWOBJ_EX
  [0x8f], // EMPTY_SET
  [0x4b, 0xff], // BININT1
  [0x4a, ...u32(0xffffffff)], // BININT -1
  [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x80], // LONG1 -2^71
  [0x47, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], // BINFLOAT NaN
  [0x88], // NEWTRUE
  ...Array.from({ length: 8 }, (_, i) => [i * 32 + 0x0f]), // stray / unknown opcodes
];

export type PickleMutation =
  | { kind: 'delete'; at: number }
  | { kind: 'duplicate'; at: number; to: number }
  | { kind: 'swap'; at: number; to: number }
  | { kind: 'insert'; at: number; palette: number }
  | { kind: 'opcode'; at: number; value: number }
  | { kind: 'length'; at: number; value: bigint; delta: number }
  | { kind: 'nest'; at: number; opcode: number; count: number };

const index = fc.nat();

/** Opcode-aware pickle mutations. */
export const pickleMutation: fc.Arbitrary<PickleMutation> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: index }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: index, to: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap' as const), at: index, to: index }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: index,
      palette: fc.integer({ min: 0, max: PALETTE.length - 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('opcode' as const),
      at: index,
      value: fc.integer({ min: 0, max: 255 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('length' as const),
      at: index,
      value: fc.constantFrom(...INTERESTING_INTS),
      delta: fc.integer({ min: -2, max: 2 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('nest' as const),
      at: index,
      // MARK, EMPTY_LIST, TUPLE1, EMPTY_DICT, DUP
      opcode: fc.constantFrom(0x28, 0x5d, 0x85, 0x7d, 0x32),
      count: fc.constantFrom(10, 999, 1000, 1001, 100_000, 200_000),
    }),
  },
);

/** Applies opcode-level mutations to the opcodes of a seed pickle. */
export function applyPickleMutations(
  seed: readonly PickleOp[],
  mutations: readonly PickleMutation[],
): Uint8Array {
  const ops = [...seed];
  for (const m of mutations) {
    if (ops.length === 0) ops.push({ bytes: new Uint8Array([0x2e]) });
    const i = m.at % ops.length;
    const op = ops[i] as PickleOp;
    switch (m.kind) {
      case 'delete':
        ops.splice(i, 1);
        break;
      case 'duplicate':
        ops.splice(m.to % (ops.length + 1), 0, op);
        break;
      case 'swap': {
        const j = m.to % ops.length;
        ops[i] = ops[j] as PickleOp;
        ops[j] = op;
        break;
      }
      case 'insert':
        ops.splice(i, 0, { bytes: new Uint8Array(PALETTE[m.palette] as number[]) });
        break;
      case 'opcode': {
        const bytes = op.bytes.slice();
        bytes[0] = m.value;
        ops[i] = { bytes };
        break;
      }
      case 'length': {
        // The next op with a length (or integer) argument, from i on.
        let k = i;
        while (k < ops.length && (ops[k] as PickleOp).lengthField === undefined) k++;
        const target = ops[k];
        if (target?.lengthField === undefined) break;
        const bytes = target.bytes.slice();
        const { offset, width } = target.lengthField;
        let value = m.value;
        if (m.delta !== 0) {
          // Off-by-a-few of the current value: the classic length-field slip.
          let current = 0n;
          for (let b = width - 1; b >= 0; b--)
            current = (current << 8n) | BigInt(bytes[offset + b] as number);
          value = current + BigInt(m.delta);
        }
        writeUint(bytes, offset, width, value);
        ops[k] = { ...target, bytes };
        break;
      }
      case 'nest':
        ops.splice(i, 0, { bytes: new Uint8Array(m.count).fill(m.opcode) });
        break;
    }
  }
  return assemble(ops);
}

export function pickleMutations(max = 5): fc.Arbitrary<PickleMutation[]> {
  return fc.array(pickleMutation, { minLength: 1, maxLength: max });
}
