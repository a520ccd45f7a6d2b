import { InvalidArgumentError } from '@samp/core';
import { type BasePrecision, type Candidate, isBaseLayer, uniformCandidate } from './candidate';

/**
 * The two evaluation splits: `choose` is what the recommender ranks and chooses with; `held-out` is only
 * used to report the chosen plan's accuracy on data the choice never saw.
 */
export type EvaluationSplit = 'choose' | 'held-out';

/** What an evaluator says about one plan on one split. */
export interface PlanScore {
  /** Quality in [0, 1], higher is better: accuracy with labels, agreement with the base plan without. */
  score: number;
  /** Output drift from the base plan (mean KL divergence of the output distributions), when known. */
  drift?: number;
}

/** Runs a plan on a split and scores it (the caller owns the backend; the recommender never imports one). */
export type PlanEvaluator = (plan: Candidate, split: EvaluationSplit) => Promise<PlanScore>;

/**
 * Measures plans' latencies in milliseconds at the caller's batch size and sequence length, one number per
 * plan in order. It gets several plans at once so that it can interleave their runs: on a shared machine a
 * change of load then hits every plan alike instead of skewing the ones timed during it.
 */
export type LatencyMeasurer = (plans: readonly Candidate[]) => Promise<number[]>;

/** Rows of output scores (logits) of a plan on a split, one row per example, in a fixed example order. */
export type OutputsRunner = (
  plan: Candidate,
  split: EvaluationSplit,
) => Promise<readonly ArrayLike<number>[]>;

/** Options of {@link createOutputsEvaluator}. */
export interface OutputsEvaluatorOptions {
  /** Runs a plan and returns its logits. */
  outputs: OutputsRunner;
  /**
   * Gold class ids per split, in the order of the rows `outputs` returns. Without labels for a split
   * (default) the score is agreement with the reference plan's argmax: the label-free mode.
   */
  labels?: Partial<Record<EvaluationSplit, readonly number[]>>;
  /** The reference plan's precision on every layer: drift and agreement are measured from it (default `fp32`). */
  basePrecision?: BasePrecision;
}

/** The softmax of a row, computed stably in float64. */
function softmax(row: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i] as number);
  const out = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    out[i] = Math.exp((row[i] as number) - max);
    sum += out[i] as number;
  }
  for (let i = 0; i < row.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
  return best;
}

/**
 * Scores output rows against reference rows (the base plan's): accuracy against `labels` when given, else argmax
 * agreement with the reference; `drift` is the mean KL(reference ‖ rows) in nats.
 * @throws InvalidArgumentError when the row counts or widths differ.
 * @example
 * scoreOutputs(fp32Logits, int8Logits); // { score: 0.994, drift: 0.0012 }
 */
export function scoreOutputs(
  reference: readonly ArrayLike<number>[],
  rows: readonly ArrayLike<number>[],
  labels?: readonly number[],
): Required<PlanScore> {
  if (rows.length !== reference.length || rows.length === 0) {
    throw new InvalidArgumentError(
      'outputs',
      `expected ${reference.length} rows (as many as the reference gave, at least one), got ${rows.length}`,
    );
  }
  if (labels !== undefined && labels.length !== rows.length) {
    throw new InvalidArgumentError(
      'labels',
      `expected ${rows.length} labels (one per row), got ${labels.length}`,
    );
  }
  let hits = 0;
  let kl = 0;
  rows.forEach((row, r) => {
    const ref = reference[r] as ArrayLike<number>;
    if (row.length !== ref.length) {
      throw new InvalidArgumentError(`outputs[${r}]`, `expected ${ref.length} scores, got ${row.length}`);
    }
    const predicted = argmax(row);
    if (predicted === (labels === undefined ? argmax(ref) : labels[r])) hits++;
    const p = softmax(ref);
    const q = softmax(row);
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] as number;
      // Clamped: a probability that underflows to 0 in q would make KL infinite for a negligible change.
      if (pi > 0) kl += pi * (Math.log(pi) - Math.log(Math.max(q[i] as number, 1e-300)));
    }
  });
  return { score: hits / rows.length, drift: kl / rows.length };
}

/**
 * A {@link PlanEvaluator} over a function that returns a plan's logits: it runs the all-base plan (fp32, or
 * fp16 with `basePrecision: 'fp16'`) once per split (cached) and scores every plan against it with
 * {@link scoreOutputs}, so sensitivity can be measured as output drift, and accuracy without labels becomes
 * agreement with the base (the label-free mode).
 * @example
 * const evaluate = createOutputsEvaluator({
 *   outputs: async (plan, split) => (await classify(texts[split], plan)).map((r) => r.logits),
 *   labels: { choose: chooseLabels, 'held-out': heldOutLabels },
 * });
 */
export function createOutputsEvaluator(options: OutputsEvaluatorOptions): PlanEvaluator {
  const base = options.basePrecision ?? 'fp32';
  const references = new Map<EvaluationSplit, Promise<readonly ArrayLike<number>[]>>();
  return async (plan, split) => {
    let reference = references.get(split);
    if (reference === undefined) {
      reference = options.outputs(uniformCandidate(plan.length, base), split);
      references.set(split, reference);
    }
    const ref = await reference;
    // The base plan itself is the reference: no second run.
    const isBase = plan.every((l) => isBaseLayer(l, base));
    const rows = isBase ? ref : await options.outputs(plan, split);
    return scoreOutputs(ref, rows, options.labels?.[split]);
  };
}
