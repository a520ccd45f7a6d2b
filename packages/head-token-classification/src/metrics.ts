/** What entity metrics compare: a type and a span (any unit, as long as gold and predicted agree). */
export interface EntityLike {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

/** Precision, recall and F1 with the counts behind them. */
export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
  /** Predicted entities that match a gold entity exactly (type, start, end). */
  truePositives: number;
  /** Predicted entities. */
  predicted: number;
  /** Gold entities (seqeval's "support"). */
  gold: number;
}

/** Micro-averaged scores over all types, and the scores of each type. */
export interface EntityScores extends PrecisionRecallF1 {
  byType: Record<string, PrecisionRecallF1>;
}

function prf(truePositives: number, predicted: number, gold: number): PrecisionRecallF1 {
  // seqeval: a zero denominator gives 0 (its `zero_division` default, with a warning).
  const precision = predicted === 0 ? 0 : truePositives / predicted;
  const recall = gold === 0 ? 0 : truePositives / gold;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePositives, predicted, gold };
}

const keyOf = (e: EntityLike): string => `${e.type}\u0000${e.start}\u0000${e.end}`;

/**
 * Entity-level precision, recall and F1 as seqeval computes them (exact match of type and span within
 * the same sequence, micro average; duplicates within a sequence count once), plus each type's scores.
 * @param gold gold entities per sequence.
 * @param predicted predicted entities per sequence, aligned with `gold`.
 * @throws RangeError when the two lists have different lengths.
 * @example
 * entityScores([[{ type: 'PER', start: 0, end: 4 }]], [[{ type: 'PER', start: 0, end: 4 }]]).f1; // 1
 */
export function entityScores(
  gold: readonly (readonly EntityLike[])[],
  predicted: readonly (readonly EntityLike[])[],
): EntityScores {
  if (gold.length !== predicted.length)
    throw new RangeError(`gold has ${gold.length} sequences but predicted has ${predicted.length}`);
  const counts = new Map<string, { tp: number; pred: number; gold: number }>();
  const count = (type: string) => {
    let c = counts.get(type);
    if (c === undefined) {
      c = { tp: 0, pred: 0, gold: 0 };
      counts.set(type, c);
    }
    return c;
  };
  for (let i = 0; i < gold.length; i++) {
    const goldSet = new Map((gold[i] ?? []).map((e) => [keyOf(e), e]));
    const predSet = new Map((predicted[i] ?? []).map((e) => [keyOf(e), e]));
    for (const e of goldSet.values()) count(e.type).gold++;
    for (const [k, e] of predSet) {
      const c = count(e.type);
      c.pred++;
      if (goldSet.has(k)) c.tp++;
    }
  }
  let tp = 0;
  let pred = 0;
  let g = 0;
  const byType: Record<string, PrecisionRecallF1> = {};
  for (const type of [...counts.keys()].sort()) {
    const c = counts.get(type) as { tp: number; pred: number; gold: number };
    byType[type] = prf(c.tp, c.pred, c.gold);
    tp += c.tp;
    pred += c.pred;
    g += c.gold;
  }
  return { ...prf(tp, pred, g), byType };
}
