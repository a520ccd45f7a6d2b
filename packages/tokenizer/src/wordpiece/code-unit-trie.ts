interface BuildNode {
  value: number;
  children: Map<number, BuildNode>;
}

/**
 * A trie over UTF-16 code units, flattened in breadth-first order into typed arrays: the children of a
 * node are contiguous and sorted by code unit, so a walk reads a few neighbouring entries per step
 * (cache-friendly) and never builds a string. The root's children are found through a direct table.
 */
export class CodeUnitTrie {
  /** Token id per node, -1 where no token ends. */
  private readonly values: Int32Array;
  /** Index of the first child of each node. */
  private readonly firstChild: Int32Array;
  /** Number of children of each node. */
  private readonly childCount: Int32Array;
  /** The code unit on the edge into each node. */
  private readonly units: Uint16Array;
  /** Root transitions, direct-indexed by code unit. */
  private readonly root: Int32Array;

  /** Builds the trie of `key.slice(skip)` → value for each entry (a later duplicate key wins). */
  constructor(entries: Iterable<readonly [string, number]>, skip = 0) {
    const top: BuildNode = { value: -1, children: new Map() };
    let count = 1;
    for (const [key, value] of entries) {
      if (key.length <= skip) continue;
      let node = top;
      for (let i = skip; i < key.length; i++) {
        const u = key.charCodeAt(i);
        let next = node.children.get(u);
        if (next === undefined) {
          next = { value: -1, children: new Map() };
          node.children.set(u, next);
          count++;
        }
        node = next;
      }
      node.value = value;
    }
    this.values = new Int32Array(count);
    this.firstChild = new Int32Array(count);
    this.childCount = new Int32Array(count);
    this.units = new Uint16Array(count);
    this.root = new Int32Array(65536).fill(-1);
    // Breadth-first numbering: each node's children get consecutive ids.
    const queue: BuildNode[] = [top];
    this.values[0] = -1;
    let next = 1;
    for (let q = 0; q < queue.length; q++) {
      const node = queue[q] as BuildNode;
      const kids = [...node.children.entries()].sort((x, y) => x[0] - y[0]);
      this.firstChild[q] = next;
      this.childCount[q] = kids.length;
      for (const [u, child] of kids) {
        this.units[next] = u;
        this.values[next] = child.value;
        if (q === 0) this.root[u] = next;
        queue.push(child);
        next++;
      }
    }
  }

  /** Bytes held by the typed arrays. */
  get byteLength(): number {
    return (
      this.values.byteLength +
      this.firstChild.byteLength +
      this.childCount.byteLength +
      this.units.byteLength +
      this.root.byteLength
    );
  }

  /** The child of `node` through `unit`, or -1. */
  child(node: number, unit: number): number {
    if (node === 0) return this.root[unit] as number;
    const units = this.units;
    let lo = this.firstChild[node] as number;
    let hi = lo + (this.childCount[node] as number);
    if (hi - lo <= 8) {
      for (let k = lo; k < hi; k++) if (units[k] === unit) return k;
      return -1;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = units[mid] as number;
      if (v === unit) return mid;
      if (v < unit) lo = mid + 1;
      else hi = mid;
    }
    return -1;
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
      node = this.child(node, buf[i] as number);
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
