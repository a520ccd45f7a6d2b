/**
 * Solves min ‖X·w − y‖² by the normal equations with Gauss–Jordan elimination (partial pivoting), on
 * columns scaled to unit maximum so that features of very different sizes (tokens vs tokens × length)
 * stay well conditioned. A column that is a combination of earlier ones (features that always move
 * together) gets weight 0 instead of making the system singular.
 * @internal
 */
export function leastSquares(rows: readonly (readonly number[])[], y: readonly number[]): number[] {
  const n = rows[0]?.length ?? 0;
  const scale = Array.from(
    { length: n },
    (_, j) => Math.max(...rows.map((r) => Math.abs(r[j] as number))) || 1,
  );
  const a: Float64Array[] = Array.from({ length: n }, () => new Float64Array(n + 1));
  rows.forEach((row, r) => {
    for (let i = 0; i < n; i++) {
      const ai = a[i] as Float64Array;
      const xi = (row[i] as number) / (scale[i] as number);
      for (let j = 0; j < n; j++)
        ai[j] = (ai[j] as number) + xi * ((row[j] as number) / (scale[j] as number));
      ai[n] = (ai[n] as number) + xi * (y[r] as number);
    }
  });
  const tolerance = 1e-10 * Math.max(1, ...a.map((ai, i) => Math.abs(ai[i] as number)));
  const solved = new Array<boolean>(n).fill(false);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) {
      if (Math.abs((a[r] as Float64Array)[c] as number) > Math.abs((a[pivot] as Float64Array)[c] as number))
        pivot = r;
    }
    if (Math.abs((a[pivot] as Float64Array)[c] as number) <= tolerance) continue;
    const swap = a[c] as Float64Array;
    a[c] = a[pivot] as Float64Array;
    a[pivot] = swap;
    const ac = a[c] as Float64Array;
    const d = ac[c] as number;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const ar = a[r] as Float64Array;
      const f = (ar[c] as number) / d;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) ar[k] = (ar[k] as number) - f * (ac[k] as number);
    }
    solved[c] = true;
  }
  return a.map((ai, i) => (solved[i] ? (ai[n] as number) / (ai[i] as number) / (scale[i] as number) : 0));
}
