import { PickleFormatError, UnsafePickleError } from '../errors/model-errors';
import {
  depthOf,
  PyCallable,
  PyDict,
  type PyFail,
  PyGlobal,
  type PyKey,
  PyList,
  PyObject,
  PyTuple,
  type PyValue,
  typeName,
} from './python-values';

/** Bounds that make a hostile pickle fail fast instead of exhausting memory. */
export interface UnpickleLimits {
  /** Deepest nesting of containers, and most MARKs open at once. Default 1000. */
  readonly maxDepth: number;
  /** Most values on the stack at once (pickle batches dict items 1000 at a time). Default 100000. */
  readonly maxStack: number;
  /** Most memo entries. Default 1000000. */
  readonly maxMemo: number;
  /** Most values pushed in total. Default 5000000. */
  readonly maxObjects: number;
}

/** The default `UnpickleLimits`. */
export const DEFAULT_UNPICKLE_LIMITS: UnpickleLimits = {
  maxDepth: 1000,
  maxStack: 100_000,
  maxMemo: 1_000_000,
  maxObjects: 5_000_000,
};

/** Options of `unpickle`. */
export interface UnpickleOptions {
  /** The file the pickle came from, for errors. */
  readonly file: string;
  /** Where in the file the pickle is (e.g. `archive/data.pkl`), for errors. */
  readonly field?: string;
  /**
   * The allow-list: the value a GLOBAL / STACK_GLOBAL `module.name` stands for, or `undefined` to refuse
   * it with `UnsafePickleError`. There is no default, so nothing is ever allowed implicitly.
   */
  readonly resolveGlobal: (module: string, name: string) => PyGlobal | PyCallable | undefined;
  /** Turns a BINPERSID id into a value; without it BINPERSID is refused. */
  readonly persistentLoad?: (pid: PyValue, fail: PyFail) => PyValue;
  readonly limits?: Partial<UnpickleLimits>;
}

const MAX_GLOBAL_LINE = 256;
const MAX_LONG_BYTES = 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/**
 * A restricted unpickler for protocols 2 to 5: it builds plain data (numbers, strings, tuples, lists,
 * dicts) and calls only the allow-listed callables given by `resolveGlobal`. Any other global is
 * refused with `UnsafePickleError` the moment its GLOBAL / STACK_GLOBAL / INST opcode is read, and
 * unknown opcodes, malformed data or exceeded limits are `PickleFormatError`s naming the byte offset.
 */
export function unpickle(data: Uint8Array, options: UnpickleOptions): PyValue {
  return new Unpickler(data, options).run();
}

class Unpickler {
  readonly #data: Uint8Array;
  readonly #view: DataView;
  readonly #options: UnpickleOptions;
  readonly #limits: UnpickleLimits;
  readonly #stack: PyValue[] = [];
  readonly #marks: number[] = [];
  readonly #memo = new Map<number, PyValue>();
  #pos = 0;
  #opcodeAt = 0;
  #pushed = 0;

  constructor(data: Uint8Array, options: UnpickleOptions) {
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.#options = options;
    this.#limits = { ...DEFAULT_UNPICKLE_LIMITS, ...options.limits };
  }

  /**
   * The key of the state-dict entry being built, for error messages (best effort): in the outermost
   * dict with a SETITEM(S) under way, the first key whose value is not yet a finished tensor.
   */
  #tensorHint(): string | undefined {
    const stack = this.#stack;
    for (let i = 0; i < stack.length - 1; i++) {
      if (!(stack[i] instanceof PyDict)) continue;
      let k = i + 1;
      if (this.#marks.includes(k)) {
        const end = this.#marks.find((m) => m > k) ?? stack.length;
        while (k + 2 < end && stack[k + 1] instanceof PyObject) k += 2;
      }
      const key = stack[k];
      if (typeof key === 'string') return key;
    }
    return undefined;
  }

  #location() {
    const tensor = this.#tensorHint();
    return {
      file: this.#options.file,
      ...(tensor === undefined ? {} : { tensor }),
      ...(this.#options.field === undefined ? {} : { field: this.#options.field }),
    };
  }

  readonly #fail: PyFail = (problem: string): never => {
    throw new PickleFormatError(
      this.#location(),
      `${problem} (opcode at byte ${this.#opcodeAt} of the pickle)`,
    );
  };

  #refuse(module: string, name: string): never {
    throw new UnsafePickleError(this.#location(), `${module}.${name}`);
  }

  #need(n: number): void {
    if (n < 0 || this.#pos + n > this.#data.length) {
      this.#fail(`the pickle ends in the middle of an opcode (needs ${n} more bytes)`);
    }
  }

  #u8(): number {
    this.#need(1);
    return this.#data[this.#pos++] as number;
  }

  #u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.#pos, true);
    this.#pos += 2;
    return v;
  }

  #u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  #i32(): number {
    this.#need(4);
    const v = this.#view.getInt32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  #u64(): number {
    this.#need(8);
    const v = this.#view.getBigUint64(this.#pos, true);
    if (v > BigInt(this.#data.length)) this.#fail(`the length ${v} runs past the end of the pickle`);
    this.#pos += 8;
    return Number(v);
  }

  #bytes(n: number): Uint8Array {
    this.#need(n);
    const out = this.#data.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  #text(n: number): string {
    const bytes = this.#bytes(n);
    try {
      return utf8.decode(bytes);
    } catch {
      return this.#fail('a string is not valid UTF-8');
    }
  }

  #line(): string {
    const limit = Math.min(this.#data.length, this.#pos + MAX_GLOBAL_LINE);
    const end = this.#data.subarray(this.#pos, limit).indexOf(0x0a);
    if (end < 0) this.#fail('a GLOBAL name is not terminated by a newline');
    const text = this.#text(end);
    this.#pos += 1;
    return text;
  }

  #push(value: PyValue): void {
    if (this.#stack.length >= this.#limits.maxStack) {
      this.#fail(`the pickle stack grows past ${this.#limits.maxStack} values`);
    }
    this.#pushed += 1;
    if (this.#pushed > this.#limits.maxObjects)
      this.#fail(`the pickle has more than ${this.#limits.maxObjects} values`);
    this.#checkDepth(depthOf(value));
    this.#stack.push(value);
  }

  #checkDepth(depth: number): void {
    if (depth > this.#limits.maxDepth)
      this.#fail(`values are nested deeper than ${this.#limits.maxDepth} levels`);
  }

  #fence(): number {
    return this.#marks.length === 0 ? 0 : (this.#marks[this.#marks.length - 1] as number);
  }

  #pop(): PyValue {
    if (this.#stack.length <= this.#fence()) this.#fail('the pickle stack underflows');
    return this.#stack.pop() as PyValue;
  }

  #peek(): PyValue {
    if (this.#stack.length <= this.#fence()) this.#fail('the pickle stack underflows');
    return this.#stack[this.#stack.length - 1] as PyValue;
  }

  #popMark(): PyValue[] {
    const mark = this.#marks.pop();
    if (mark === undefined) return this.#fail('an opcode needs a MARK, but none is open');
    return this.#stack.splice(mark);
  }

  #tuple(items: PyValue[]): PyTuple {
    let depth = 0;
    for (const item of items) depth = Math.max(depth, depthOf(item));
    return new PyTuple(items, depth + 1);
  }

  #key(value: PyValue): PyKey {
    if (value === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof value))
      return value as PyKey;
    return this.#fail(`a dict key of type ${typeName(value)} is not supported`);
  }

  #setItems(target: PyValue, items: readonly PyValue[]): void {
    if (!(target instanceof PyDict)) this.#fail(`SETITEM(S) on a ${typeName(target)}, expected a dict`);
    const dict = target as PyDict;
    if (items.length % 2 !== 0) this.#fail('SETITEMS has an odd number of values');
    for (let i = 0; i < items.length; i += 2) {
      const value = items[i + 1] as PyValue;
      dict.entries.set(this.#key(items[i] as PyValue), value);
      dict.depth = Math.max(dict.depth, depthOf(value) + 1);
    }
    this.#checkDepth(dict.depth);
  }

  #append(target: PyValue, items: readonly PyValue[]): void {
    if (!(target instanceof PyList)) this.#fail(`APPEND(S) on a ${typeName(target)}, expected a list`);
    const list = target as PyList;
    for (const item of items) {
      list.items.push(item);
      list.depth = Math.max(list.depth, depthOf(item) + 1);
    }
    this.#checkDepth(list.depth);
  }

  #memoize(index: number): void {
    if (!this.#memo.has(index) && this.#memo.size >= this.#limits.maxMemo) {
      this.#fail(`the pickle memo grows past ${this.#limits.maxMemo} entries`);
    }
    this.#memo.set(index, this.#peek());
  }

  #get(index: number): void {
    if (!this.#memo.has(index)) this.#fail(`memo entry ${index} is read before it is written`);
    this.#push(this.#memo.get(index) as PyValue);
  }

  #global(module: string, name: string): void {
    const value = this.#options.resolveGlobal(module, name);
    if (value === undefined) this.#refuse(module, name);
    this.#push(value as PyValue);
  }

  #long(bytes: Uint8Array): number | bigint {
    if (bytes.length === 0) return 0;
    let value = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] as number);
    if ((bytes[bytes.length - 1] as number) & 0x80) value -= 1n << BigInt(8 * bytes.length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  }

  run(): PyValue {
    const data = this.#data;
    for (;;) {
      if (this.#pos >= data.length) this.#fail('the pickle ends without a STOP opcode');
      this.#opcodeAt = this.#pos;
      const op = data[this.#pos++] as number;
      switch (op) {
        case 0x80: {
          // PROTO
          const version = this.#u8();
          if (version > 5) this.#fail(`pickle protocol ${version} is not supported (expected 2 to 5)`);
          break;
        }
        case 0x95: // FRAME: frames only group opcodes, so the length is checked and otherwise ignored
          this.#u64();
          break;
        case 0x7d: // EMPTY_DICT
          this.#push(new PyDict());
          break;
        case 0x5d: // EMPTY_LIST
          this.#push(new PyList());
          break;
        case 0x29: // EMPTY_TUPLE
          this.#push(new PyTuple([], 1));
          break;
        case 0x28: // MARK
          if (this.#marks.length >= this.#limits.maxDepth) {
            this.#fail(`more than ${this.#limits.maxDepth} MARKs are open at once`);
          }
          this.#marks.push(this.#stack.length);
          break;
        case 0x58: // BINUNICODE
          this.#push(this.#text(this.#u32()));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.#push(this.#text(this.#u8()));
          break;
        case 0x8d: // BINUNICODE8
          this.#push(this.#text(this.#u64()));
          break;
        case 0x54: {
          // BINSTRING (a Python 2 str)
          const n = this.#i32();
          if (n < 0) this.#fail('BINSTRING has a negative length');
          this.#push(latin1.decode(this.#bytes(n)));
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.#push(latin1.decode(this.#bytes(this.#u8())));
          break;
        case 0x42: // BINBYTES
          this.#push(this.#bytes(this.#u32()).slice());
          break;
        case 0x43: // SHORT_BINBYTES
          this.#push(this.#bytes(this.#u8()).slice());
          break;
        case 0x8e: // BINBYTES8
          this.#push(this.#bytes(this.#u64()).slice());
          break;
        case 0x71: // BINPUT
          this.#memoize(this.#u8());
          break;
        case 0x72: // LONG_BINPUT
          this.#memoize(this.#u32());
          break;
        case 0x94: // MEMOIZE
          this.#memoize(this.#memo.size);
          break;
        case 0x68: // BINGET
          this.#get(this.#u8());
          break;
        case 0x6a: // LONG_BINGET
          this.#get(this.#u32());
          break;
        case 0x4a: // BININT
          this.#push(this.#i32());
          break;
        case 0x4b: // BININT1
          this.#push(this.#u8());
          break;
        case 0x4d: // BININT2
          this.#push(this.#u16());
          break;
        case 0x8a: // LONG1
          this.#push(this.#long(this.#bytes(this.#u8())));
          break;
        case 0x8b: {
          // LONG4
          const n = this.#i32();
          if (n < 0 || n > MAX_LONG_BYTES) this.#fail(`LONG4 of ${n} bytes is not supported`);
          this.#push(this.#long(this.#bytes(n)));
          break;
        }
        case 0x47: {
          // BINFLOAT: big-endian double
          this.#need(8);
          this.#push(this.#view.getFloat64(this.#pos, false));
          this.#pos += 8;
          break;
        }
        case 0x88: // NEWTRUE
          this.#push(true);
          break;
        case 0x89: // NEWFALSE
          this.#push(false);
          break;
        case 0x4e: // NONE
          this.#push(null);
          break;
        case 0x74: // TUPLE
          this.#push(this.#tuple(this.#popMark()));
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const n = op - 0x84;
          const items: PyValue[] = [];
          for (let i = 0; i < n; i++) items.unshift(this.#pop());
          this.#push(this.#tuple(items));
          break;
        }
        case 0x6c: {
          // LIST
          const items = this.#popMark();
          const list = new PyList();
          this.#append(list, items);
          this.#push(list);
          break;
        }
        case 0x64: {
          // DICT
          const items = this.#popMark();
          const dict = new PyDict();
          this.#setItems(dict, items);
          this.#push(dict);
          break;
        }
        case 0x73: {
          // SETITEM
          const value = this.#pop();
          const key = this.#pop();
          this.#setItems(this.#peek(), [key, value]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.#popMark();
          this.#setItems(this.#peek(), items);
          break;
        }
        case 0x61: {
          // APPEND
          const item = this.#pop();
          this.#append(this.#peek(), [item]);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.#popMark();
          this.#append(this.#peek(), items);
          break;
        }
        case 0x63: {
          // GLOBAL
          const module = this.#line();
          const name = this.#line();
          this.#global(module, name);
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.#pop();
          const module = this.#pop();
          if (typeof module !== 'string' || typeof name !== 'string') {
            this.#fail(`STACK_GLOBAL needs two strings, found ${typeName(module)} and ${typeName(name)}`);
          }
          this.#global(module as string, name as string);
          break;
        }
        case 0x69: {
          // INST names a class inline: refuse it like a GLOBAL when it is not allow-listed
          const module = this.#line();
          const name = this.#line();
          if (this.#options.resolveGlobal(module, name) === undefined) this.#refuse(module, name);
          this.#fail(`INST ${module}.${name} is not supported`);
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.#pop();
          const callable = this.#pop();
          if (callable instanceof PyGlobal) this.#refuse(callable.module, callable.name);
          if (!(callable instanceof PyCallable))
            this.#fail(`REDUCE on a ${typeName(callable)}, which is not callable`);
          if (!(args instanceof PyTuple))
            this.#fail(`REDUCE with arguments of type ${typeName(args)}, expected a tuple`);
          this.#push((callable as PyCallable).call((args as PyTuple).items, this.#fail));
          break;
        }
        case 0x62: {
          // BUILD: only the instance state of a dict (OrderedDict's `_metadata`) is accepted, and dropped
          const state = this.#pop();
          const target = this.#peek();
          if (!(target instanceof PyDict)) this.#fail(`BUILD on a ${typeName(target)} is not supported`);
          if (!(state === null || state instanceof PyDict || state instanceof PyTuple)) {
            this.#fail(`BUILD with a state of type ${typeName(state)} is not supported`);
          }
          break;
        }
        case 0x51: {
          // BINPERSID
          const pid = this.#pop();
          if (this.#options.persistentLoad === undefined) this.#fail('BINPERSID is not allowed here');
          this.#push(
            (this.#options.persistentLoad as NonNullable<UnpickleOptions['persistentLoad']>)(pid, this.#fail),
          );
          break;
        }
        case 0x30: // POP
          if (this.#stack.length > this.#fence()) this.#stack.pop();
          else if (this.#marks.length > 0) this.#marks.pop();
          else this.#fail('POP on an empty stack');
          break;
        case 0x31: // POP_MARK
          this.#popMark();
          break;
        case 0x32: // DUP
          this.#push(this.#peek());
          break;
        case 0x2e: {
          // STOP
          if (this.#marks.length !== 0 || this.#stack.length !== 1) {
            this.#fail(
              `STOP with ${this.#stack.length} values and ${this.#marks.length} open MARKs, expected one value`,
            );
          }
          if (this.#pos !== data.length)
            this.#fail(`${data.length - this.#pos} bytes follow the STOP opcode`);
          return this.#stack[0] as PyValue;
        }
        default: {
          const printable = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
          this.#fail(
            `unknown or unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}${printable}`,
          );
        }
      }
    }
  }
}
