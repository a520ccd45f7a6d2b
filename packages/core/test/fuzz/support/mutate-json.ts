import fc from 'fast-check';

/**
 * Structure-aware JSON mutations: each picks a node of the parsed document (by its index in a
 * depth-first walk, modulo the node count) and replaces, deletes, duplicates or wraps it, or adds a
 * key beside it. Values known to break parsers are favoured: huge, negative, fractional and unsafe
 * numbers, wrong types, prototype keys, very long strings and very deep nesting.
 */
export type JsonOp =
  | { kind: 'replace'; node: number; value: number }
  | { kind: 'tweak'; node: number; how: number }
  | { kind: 'delete'; node: number }
  | { kind: 'add'; node: number; key: number; value: number }
  | { kind: 'copy'; node: number; from: number }
  | { kind: 'wrap'; node: number; asArray: boolean };

/** Placeholder strings that `renderJson` turns into raw JSON text (so nesting never goes through JSON.stringify). */
const RAW_PREFIX = '\u0000raw:';

/** Raw JSON texts spliced in for a `replace`: the tokens that JSON.stringify cannot produce. */
const RAW_VALUES: readonly string[] = [
  `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  `${'{"a":'.repeat(50_000)}0${'}'.repeat(50_000)}`,
  '['.repeat(100_000), // unterminated: invalid JSON whose error must still be located
  '1e999',
  '-1e999',
  '-0',
  '9007199254740993',
  '123456789012345678901234567890',
  '0.1e-400',
];

/** Values for `replace` and `add`. Index ≥ the list length picks a raw token. */
const VALUES: readonly unknown[] = [
  0,
  -1,
  1,
  1.5,
  -0.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 64,
  1e21,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  '',
  'x',
  'F32',
  'F16',
  'BF16',
  'I64',
  'F8_E4M3',
  'WordPiece',
  'bert',
  '..',
  '../../etc/passwd',
  '/etc/passwd',
  'a\u0000b',
  'x'.repeat(100_000),
  '\ud800',
  null,
  true,
  false,
  [],
  {},
  [0],
  [0, 0],
  [0, 2 ** 53],
  [-1, 0],
  [1, 0],
  [0, 1e300],
  [0.5, 1.5],
  ['0', '4'],
  new Array(1000).fill(1),
  { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
  { type: 'WordPiece', vocab: {} },
  { __proto__: null, length: 1e9 },
];

const KEYS: readonly string[] = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'length',
  '__metadata__',
  'dtype',
  'shape',
  'data_offsets',
  'weight_map',
  'metadata',
  'model_type',
  'num_labels',
  'id2label',
  'label2id',
  'hidden_size',
  'num_attention_heads',
  'vocab',
  'added_tokens',
  'normalizer',
  'post_processor',
  'layers',
  'activations',
  'weights',
  'smoothing',
  'frontier',
  '',
  'layers.99999999999999999999.attention.scores',
  'layers.1.attention.scores',
];

export const VALUE_CHOICES = VALUES.length + RAW_VALUES.length;

const node = fc.nat();
export const jsonOp: fc.Arbitrary<JsonOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('replace' as const),
      node,
      value: fc.integer({ min: 0, max: VALUE_CHOICES - 1 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('tweak' as const), node, how: fc.integer({ min: 0, max: 9 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), node }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      node,
      key: fc.integer({ min: 0, max: KEYS.length - 1 }),
      value: fc.integer({ min: 0, max: VALUE_CHOICES - 1 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('copy' as const), node, from: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrap' as const), node, asArray: fc.boolean() }) },
);

type Json = unknown;
interface Slot {
  parent: Record<string, Json> | Json[] | undefined;
  key: string | number;
  value: Json;
}

function slots(root: Json): Slot[] {
  const out: Slot[] = [{ parent: undefined, key: '', value: root }];
  // Depth-first with an explicit stack: mutated documents may already be deep.
  const stack: Json[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        out.push({ parent: value, key: i, value: v });
        stack.push(v);
      });
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        out.push({ parent: value as Record<string, Json>, key: k, value: v });
        stack.push(v);
      }
    }
  }
  return out;
}

function pickValue(index: number): Json {
  if (index < VALUES.length) return structuredClone(VALUES[index]);
  return `${RAW_PREFIX}${index - VALUES.length}`;
}

function tweak(value: Json, how: number): Json {
  if (typeof value === 'number') {
    return [
      value + 1,
      value - 1,
      -value,
      value * 2 ** 20,
      value + 0.5,
      value * 1e300,
      value + 2 ** 53,
      0,
      String(value),
      [value],
    ][how];
  }
  if (typeof value === 'string') {
    return [
      `${value}x`,
      value.slice(0, -1),
      '',
      value.toUpperCase(),
      `${value}\u0000`,
      value.repeat(3),
      Number(value) || 1,
      `../${value}`,
      `${value}\ud800`,
      [value],
    ][how];
  }
  if (Array.isArray(value)) {
    const copy = [...value];
    if (how < 3) copy.push(copy[0] ?? 0);
    else if (how < 5) copy.pop();
    else if (how < 7) copy.reverse();
    else return Object.fromEntries(copy.map((v, i) => [String(i), v]));
    return copy;
  }
  if (typeof value === 'object' && value !== null) {
    if (how < 5) return Object.values(value);
    return null;
  }
  return [0, 1, '', null, true, false, [], {}, 'true', -1][how];
}

function setOwn(target: Record<string, Json> | Json[], key: string | number, value: Json): void {
  // defineProperty so that "__proto__" becomes an own key, as JSON.parse makes it.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Applies JSON mutations to a deep copy of `doc`. */
export function applyJsonOps(doc: Json, ops: readonly JsonOp[]): Json {
  let root: Json = structuredClone(doc);
  for (const op of ops) {
    const all = slots(root);
    const slot = all[op.node % all.length] as Slot;
    let next: Json;
    switch (op.kind) {
      case 'replace':
        next = pickValue(op.value);
        break;
      case 'tweak':
        next = tweak(slot.value, op.how);
        break;
      case 'copy':
        next = structuredClone((all[op.from % all.length] as Slot).value);
        break;
      case 'wrap':
        next = op.asArray ? [slot.value] : { value: slot.value };
        break;
      case 'delete':
        if (slot.parent === undefined) continue;
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
        else delete slot.parent[slot.key as string];
        continue;
      case 'add': {
        const target =
          typeof slot.value === 'object' && slot.value !== null ? slot.value : (slot.parent ?? root);
        if (typeof target !== 'object' || target === null) continue;
        if (Array.isArray(target)) target.push(pickValue(op.value));
        else setOwn(target as Record<string, Json>, KEYS[op.key] as string, pickValue(op.value));
        continue;
      }
    }
    if (slot.parent === undefined) root = next;
    else setOwn(slot.parent, slot.key, next);
  }
  return root;
}

/** JSON text of a mutated document, with raw placeholders spliced in. */
export function renderJson(doc: Json): string {
  const text = JSON.stringify(doc) ?? 'null';
  return text.replace(/"\\u0000raw:(\d+)"/g, (_, i: string) => RAW_VALUES[Number(i)] as string);
}

/** One to `max` JSON mutations. */
export function jsonOps(max = 4): fc.Arbitrary<JsonOp[]> {
  return fc.array(jsonOp, { minLength: 1, maxLength: max });
}
