/** A Python value as the restricted unpickler builds it; nothing here can run code. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyTuple
  | PyList
  | PyDict
  | PyGlobal
  | PyCallable
  | PyObject;

/** The values a dict key may be (Python's hashable scalars). */
export type PyKey = string | number | bigint | boolean | null;

/** A tuple. `depth` is its nesting depth (scalars are 0). */
export class PyTuple {
  constructor(
    readonly items: readonly PyValue[],
    readonly depth: number,
  ) {}
}

/** A list; `depth` grows as items are appended. */
export class PyList {
  readonly items: PyValue[] = [];
  depth = 1;
}

/** A dict or `collections.OrderedDict` (insertion order kept); `depth` grows as items are set. */
export class PyDict {
  readonly entries = new Map<PyKey, PyValue>();
  depth = 1;
}

/** A reference to an allow-listed global that may not be called (e.g. `torch.FloatStorage`, used as a tag). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** How a callable reports bad arguments: throws a `PickleFormatError` naming the file, tensor and byte. */
export type PyFail = (problem: string) => never;

/** An allow-listed global that REDUCE may call; `call` only builds data, it never runs pickled code. */
export class PyCallable {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: readonly PyValue[], fail: PyFail) => PyValue,
  ) {}
}

/** Base of the objects built by allow-listed callables or persistent ids (storages, tensors). */
export abstract class PyObject {
  abstract readonly pyType: string;
}

/** Nesting depth of a value: 0 for scalars. */
export function depthOf(value: PyValue): number {
  return value instanceof PyTuple || value instanceof PyList || value instanceof PyDict ? value.depth : 0;
}

/** A short Python-like description of a value's type, for error messages. */
export function typeName(value: PyValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PyList) return 'list';
  if (value instanceof PyDict) return 'dict';
  if (value instanceof PyGlobal || value instanceof PyCallable) return value.qualifiedName;
  return value.pyType;
}
