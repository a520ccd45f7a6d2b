import { type HistogramLike, lastNonEmpty } from '../quantization-error';
import { coarseToFineMinimum } from './coarse-to-fine-search';

/** Quantization levels of |x| in symmetric INT8 (0…127). */
const LEVELS = 128;

/** The share Q gives a bin where P has mass but Q none: tiny, so the divergence stays finite but large. */
const EMPTY_SHARE = 1e-12;

/** Prefix sums over the bins, so that each candidate costs O(128) rather than O(bins). */
interface Prefix {
  /** counts[k < i] summed. */
  readonly mass: Float64Array;
  /** Σ c log c over k < i. */
  readonly massLogMass: Float64Array;
  /** Nonzero bins among k < i. */
  readonly nonzero: Float64Array;
}

function prefixSums(counts: Float64Array, n: number): Prefix {
  const mass = new Float64Array(n + 1);
  const massLogMass = new Float64Array(n + 1);
  const nonzero = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) {
    const c = counts[k] as number;
    mass[k + 1] = (mass[k] as number) + c;
    massLogMass[k + 1] = (massLogMass[k] as number) + (c > 0 ? c * Math.log(c) : 0);
    nonzero[k + 1] = (nonzero[k] as number) + (c > 0 ? 1 : 0);
  }
  return { mass, massLogMass, nonzero };
}

/**
 * KL(P‖Q) for clipping at bin `i` (of `n` nonempty-range bins): P is the first `i` bins with every count
 * beyond them folded into bin `i − 1`; Q is the same `i` bins without the outliers, merged into 128
 * groups of consecutive bins, each group's mass spread evenly over the bins where P is nonzero.
 * KL = Σ p log p − Σ p log q; within a group q is constant, so both sums come from prefix sums.
 */
function divergenceAt(counts: Float64Array, prefix: Prefix, i: number, n: number): number {
  const total = prefix.mass[n] as number;
  const inside = prefix.mass[i] as number;
  const outliers = total - inside;
  const last = counts[i - 1] as number;
  const folded = last + outliers;
  // Σ c' log c' with bin i − 1 folded, then normalised: Σ p log p = Σ c' log c' / total − log total.
  const foldedLog = (prefix.massLogMass[i - 1] as number) + (folded > 0 ? folded * Math.log(folded) : 0);
  const pLogP = foldedLog / total - Math.log(total);
  let pLogQ = 0;
  for (let g = 0; g < LEVELS; g++) {
    const start = Math.ceil((g * i) / LEVELS);
    const end = Math.ceil(((g + 1) * i) / LEVELS);
    if (end <= start) continue;
    const mass = (prefix.mass[end] as number) - (prefix.mass[start] as number);
    let nonzero = (prefix.nonzero[end] as number) - (prefix.nonzero[start] as number);
    let pMass = mass;
    if (end === i && outliers > 0) {
      pMass += outliers;
      if (last === 0) nonzero++;
    }
    if (nonzero === 0) continue;
    const q = mass > 0 ? mass / nonzero / inside : EMPTY_SHARE;
    pLogQ += (pMass / total) * Math.log(q);
  }
  return pLogP - pLogQ;
}

/**
 * The clipping threshold that minimises the KL divergence between the observed distribution of |x| and
 * its 128-level quantization (the entropy calibration of TensorRT and of Intel's INT8 BERT work), over
 * the bin edges from 128 bins up to the observed maximum (coarse-to-fine: 512 evenly spaced edges, then
 * every edge around the best); histograms that use fewer than 128 bins keep the maximum.
 * @example
 * entropyThreshold(histogram); // ≤ histogram.absMax
 */
export function entropyThreshold(h: HistogramLike): number {
  const n = lastNonEmpty(h) + 1;
  if (n <= LEVELS || h.binWidth === 0) return h.absMax;
  const prefix = prefixSums(h.counts, n);
  const best = coarseToFineMinimum(LEVELS, n, (i) => divergenceAt(h.counts, prefix, i, n), 512);
  return Math.min(best * h.binWidth, h.absMax);
}
