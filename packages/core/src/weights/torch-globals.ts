import {
  PyCallable,
  PyDict,
  type PyFail,
  PyGlobal,
  PyObject,
  PyTuple,
  type PyValue,
  typeName,
} from './python-values';
import type { DType } from './tensor-store';

/** A torch storage named by a persistent id `('storage', storageType, key, location, numel)`. */
export class StorageRef extends PyObject {
  readonly pyType = 'torch storage';
  constructor(
    /** The storage class name, e.g. `FloatStorage`. */
    readonly storageType: string,
    /** The archive entry holding its bytes is `<top>/data/<key>`. */
    readonly key: string,
    readonly location: string,
    readonly numel: number,
  ) {
    super();
  }
}

/** A tensor as `torch._utils._rebuild_tensor_v2` describes it: a view into a storage. */
export class TensorRef extends PyObject {
  readonly pyType = 'torch.Tensor';
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
  ) {
    super();
  }
}

/** The element type of each torch storage class; only F32, F16 and BF16 are readable. */
export const TORCH_STORAGE_DTYPES: Readonly<Record<string, { dtype: string; bytes: number }>> = {
  FloatStorage: { dtype: 'F32', bytes: 4 },
  HalfStorage: { dtype: 'F16', bytes: 2 },
  BFloat16Storage: { dtype: 'BF16', bytes: 2 },
  // Inert type tags, recognised so that an int64 `position_ids` buffer is reported as an unsupported
  // dtype (or skipped) rather than as an unsafe pickle.
  DoubleStorage: { dtype: 'F64', bytes: 8 },
  LongStorage: { dtype: 'I64', bytes: 8 },
  IntStorage: { dtype: 'I32', bytes: 4 },
  ShortStorage: { dtype: 'I16', bytes: 2 },
  CharStorage: { dtype: 'I8', bytes: 1 },
  ByteStorage: { dtype: 'U8', bytes: 1 },
  BoolStorage: { dtype: 'BOOL', bytes: 1 },
};

/** The readable dtype of a storage class, or `undefined`. */
export function storageDtype(storageType: string): DType | undefined {
  const dtype = TORCH_STORAGE_DTYPES[storageType]?.dtype;
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' ? dtype : undefined;
}

function isCount(value: PyValue): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function intTuple(value: PyValue, what: string, fail: PyFail): number[] {
  if (!(value instanceof PyTuple))
    return fail(`${what} must be a tuple of integers, found ${typeName(value)}`);
  return value.items.map((item) =>
    isCount(item) ? item : fail(`${what} has a non-integer entry ${String(item)}`),
  );
}

const orderedDict = new PyCallable('collections.OrderedDict', (args, fail) => {
  if (args.length !== 0) fail('collections.OrderedDict is only accepted with no arguments');
  return new PyDict();
});

const rebuildTensor = new PyCallable('torch._utils._rebuild_tensor_v2', (args, fail) => {
  if (args.length !== 6 && args.length !== 7) {
    fail(`_rebuild_tensor_v2 takes 6 or 7 arguments, found ${args.length}`);
  }
  const [storage, offset, size, stride, requiresGrad, hooks] = args;
  if (!(storage instanceof StorageRef))
    return fail(`_rebuild_tensor_v2 needs a storage, found ${typeName(storage ?? null)}`);
  if (!isCount(offset ?? null)) return fail('_rebuild_tensor_v2 needs a non-negative integer storage offset');
  const sizes = intTuple(size ?? null, 'the tensor size', fail);
  const strides = intTuple(stride ?? null, 'the tensor stride', fail);
  if (sizes.length !== strides.length)
    fail(`size has ${sizes.length} dimensions but stride has ${strides.length}`);
  if (typeof requiresGrad !== 'boolean') fail('_rebuild_tensor_v2 needs a bool requires_grad');
  if (!(hooks instanceof PyDict)) fail('_rebuild_tensor_v2 needs an OrderedDict of backward hooks');
  return new TensorRef(storage, offset as number, sizes, strides);
});

const rebuildParameter = new PyCallable('torch._utils._rebuild_parameter', (args, fail) => {
  const [data, requiresGrad, hooks] = args;
  if (
    args.length !== 3 ||
    !(data instanceof TensorRef) ||
    typeof requiresGrad !== 'boolean' ||
    !(hooks instanceof PyDict)
  ) {
    return fail('_rebuild_parameter takes (tensor, requires_grad, backward_hooks)');
  }
  return data;
});

/**
 * The allow-list of globals a torch state-dict pickle may name: `collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter` and the torch storage classes
 * (as inert tags). Everything else is `undefined`, which the unpickler refuses as unsafe.
 */
export function resolveTorchGlobal(module: string, name: string): PyGlobal | PyCallable | undefined {
  if (module === 'collections' && name === 'OrderedDict') return orderedDict;
  if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return rebuildTensor;
  if (module === 'torch._utils' && name === '_rebuild_parameter') return rebuildParameter;
  if (module === 'torch' && Object.hasOwn(TORCH_STORAGE_DTYPES, name)) return new PyGlobal(module, name);
  return undefined;
}

/**
 * Resolves a torch persistent id `('storage', storageType, key, location, numel)` to one `StorageRef`
 * per key (tensors that share a storage, such as tied embeddings, get the same one).
 */
export function createStorageLoader(): (pid: PyValue, fail: PyFail) => StorageRef {
  const storages = new Map<string, StorageRef>();
  return (pid, fail) => {
    if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
      return fail("a persistent id must be ('storage', storage_type, key, location, numel)");
    }
    const [, type, key, location, numel] = pid.items;
    if (
      !(type instanceof PyGlobal) ||
      type.module !== 'torch' ||
      !Object.hasOwn(TORCH_STORAGE_DTYPES, type.name)
    ) {
      return fail(`a persistent id names ${typeName(type ?? null)}, expected a torch storage class`);
    }
    if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(key))
      return fail('a storage key must be a plain string');
    if (typeof location !== 'string') return fail('a storage location must be a string');
    if (!isCount(numel ?? null)) return fail('a storage size must be a non-negative integer');
    const existing = storages.get(key);
    if (existing !== undefined) {
      if (existing.storageType !== type.name || existing.numel !== numel) {
        fail(`storage "${key}" is described twice, differently`);
      }
      return existing;
    }
    const storage = new StorageRef(type.name, key, location, numel as number);
    storages.set(key, storage);
    return storage;
  };
}
