/**
 * A trie over UTF-16 code units with hashed transitions in typed arrays: no strings are built while
 * matching, and the whole structure for a 30k-token vocabulary is a few MB.
 */
export class CodeUnitTrie {
  /** Token id at each node, -1 where no token ends. */
  private values: Int32Array;
  private nodeCount = 1;
  // Open-addressing table of transitions: (parent, unit) → child.
  private keyNode: Int32Array;
  private keyUnit: Uint16Array;
  private child: Int32Array;
  private mask: number;
  private used = 0;
  /** Root transitions, direct-indexed by code unit (the hottest lookup). */
  private readonly root: Int32Array;

  constructor(expectedChars = 1024) {
    let cap = 1024;
    while (cap < expectedChars * 2) cap *= 2;
    this.mask = cap - 1;
    this.keyNode = new Int32Array(cap).fill(-1);
    this.keyUnit = new Uint16Array(cap);
    this.child = new Int32Array(cap);
    this.values = new Int32Array(Math.max(16, expectedChars + 1)).fill(-1);
    this.root = new Int32Array(65536).fill(-1);
  }

  /** Bytes held by the typed arrays. */
  get byteLength(): number {
    return (
      this.values.byteLength +
      this.keyNode.byteLength +
      this.keyUnit.byteLength +
      this.child.byteLength +
      this.root.byteLength
    );
  }

  /** Adds `s.slice(from)` with the given value (a later insert of the same key overwrites). */
  insert(s: string, from: number, value: number): void {
    if (from >= s.length) return;
    let node = 0;
    for (let i = from; i < s.length; i++) {
      const u = s.charCodeAt(i);
      let next = this.get(node, u);
      if (next < 0) {
        next = this.newNode();
        this.put(node, u, next);
      }
      node = next;
    }
    this.values[node] = value;
  }

  private newNode(): number {
    if (this.nodeCount >= this.values.length) {
      const v = new Int32Array(this.values.length * 2).fill(-1);
      v.set(this.values);
      this.values = v;
    }
    return this.nodeCount++;
  }

  private hash(node: number, unit: number): number {
    return (Math.imul(node, 0x9e3779b1) ^ Math.imul(unit, 0x85ebca77)) & this.mask;
  }

  /** The child of `node` through `unit`, or -1. */
  get(node: number, unit: number): number {
    if (node === 0) return this.root[unit] as number;
    const keyNode = this.keyNode;
    const mask = this.mask;
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(unit, 0x85ebca77)) & mask;
    for (;;) {
      const k = keyNode[h] as number;
      if (k === node && this.keyUnit[h] === unit) return this.child[h] as number;
      if (k === -1) return -1;
      h = (h + 1) & mask;
    }
  }

  private put(node: number, unit: number, childNode: number): void {
    if (node === 0) {
      this.root[unit] = childNode;
      return;
    }
    if ((this.used + 1) * 2 > this.mask + 1) this.grow();
    let h = this.hash(node, unit);
    while (this.keyNode[h] !== -1) h = (h + 1) & this.mask;
    this.keyNode[h] = node;
    this.keyUnit[h] = unit;
    this.child[h] = childNode;
    this.used++;
  }

  private grow(): void {
    const oldNode = this.keyNode;
    const oldUnit = this.keyUnit;
    const oldChild = this.child;
    const cap = (this.mask + 1) * 2;
    this.mask = cap - 1;
    this.keyNode = new Int32Array(cap).fill(-1);
    this.keyUnit = new Uint16Array(cap);
    this.child = new Int32Array(cap);
    this.used = 0;
    for (let i = 0; i < oldNode.length; i++) {
      const n = oldNode[i] as number;
      if (n !== -1) this.put(n, oldUnit[i] as number, oldChild[i] as number);
    }
  }

  /**
   * Longest key that is a prefix of `buf[start..end)` and ends on a code-point boundary.
   * Returns its end index and stores its value in `out[0]`; returns -1 when no key matches.
   */
  longestPrefix(buf: Uint16Array, start: number, end: number, out: Int32Array): number {
    let node = 0;
    let bestEnd = -1;
    const values = this.values;
    for (let i = start; i < end; i++) {
      node = this.get(node, buf[i] as number);
      if (node < 0) break;
      const v = values[node] as number;
      if (v >= 0) {
        // Never stop between the two halves of a surrogate pair.
        const next = i + 1;
        if (next === end || ((buf[next] as number) & 0xfc00) !== 0xdc00) {
          bestEnd = next;
          out[0] = v;
        }
      }
    }
    return bestEnd;
  }
}
