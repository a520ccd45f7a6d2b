import { canonicalScheme, type ParsedTag, parseTag, type TagScheme } from './tags';

/**
 * Which label may follow which under a scheme, as `allowed[from * L + to]`, plus which labels may start
 * and end a sequence. BIO: `I-x` only after `B-x` or `I-x`. BIOES: `I-x`/`E-x` only after `B-x`/`I-x`;
 * `O`, `B-`, `S-` only after `O`, `E-`, `S-` or at the start; the last label is `O`, `E-` or `S-`.
 * Types that have no `B-` label (IO-style labels) are left unconstrained.
 */
export interface TransitionRules {
  readonly labels: readonly string[];
  readonly allowed: Uint8Array;
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}

/**
 * The transition rules of a label set (labels by id).
 * @example
 * const rules = transitionRules(['O', 'B-PER', 'I-PER'], 'BIO');
 * rules.allowed[0 * 3 + 2]; // 0: O → I-PER is illegal
 */
export function transitionRules(labels: readonly string[], scheme: TagScheme): TransitionRules {
  const L = labels.length;
  const tags = labels.map(parseTag);
  const bioes = canonicalScheme(scheme) === 'BIOES';
  const begun = new Set(tags.filter((t) => t.prefix === 'B').map((t) => t.type));
  const free = (t: ParsedTag) => t.prefix !== 'O' && !begun.has(t.type);
  const closesOrOutside = (t: ParsedTag) => t.prefix === 'O' || t.prefix === 'E' || t.prefix === 'S';
  const inside = (t: ParsedTag) => t.prefix === 'I' || t.prefix === 'E';
  const canFollow = (from: ParsedTag | undefined, to: ParsedTag): boolean => {
    if (free(to)) return true;
    if (inside(to) && (bioes || to.prefix === 'I'))
      return from !== undefined && (from.prefix === 'B' || from.prefix === 'I') && from.type === to.type;
    // O, B-, S- (and E-, which BIO does not use): after anything under BIO; under BIOES only once the
    // previous entity is closed.
    return !bioes || from === undefined || closesOrOutside(from) || free(from);
  };
  const allowed = new Uint8Array(L * L);
  const start = new Uint8Array(L);
  const end = new Uint8Array(L);
  for (let j = 0; j < L; j++) {
    const to = tags[j] as ParsedTag;
    start[j] = canFollow(undefined, to) ? 1 : 0;
    end[j] = !bioes || free(to) || closesOrOutside(to) ? 1 : 0;
    for (let i = 0; i < L; i++) allowed[i * L + j] = canFollow(tags[i], to) ? 1 : 0;
  }
  return { labels, allowed, start, end };
}

/** True when a label-id path obeys the rules (start, every transition, end). */
export function isLegalPath(path: ArrayLike<number>, rules: TransitionRules): boolean {
  const L = rules.labels.length;
  if (path.length === 0) return true;
  if (!rules.start[path[0] as number]) return false;
  for (let t = 1; t < path.length; t++)
    if (!rules.allowed[(path[t - 1] as number) * L + (path[t] as number)]) return false;
  return rules.end[path[path.length - 1] as number] === 1;
}

/**
 * The highest-scoring legal label path: Viterbi over per-position scores (`emissions[t * L + label]`,
 * log-probabilities) with illegal transitions at −∞ and legal ones free. Ties go to the lower label id.
 * @returns label ids, or `undefined` when no legal path exists.
 */
export function viterbi(
  emissions: ArrayLike<number>,
  steps: number,
  rules: TransitionRules,
): number[] | undefined {
  const L = rules.labels.length;
  if (steps === 0) return [];
  let score = new Float64Array(L);
  let next = new Float64Array(L);
  const back = new Int32Array(steps * L).fill(-1);
  for (let j = 0; j < L; j++) score[j] = rules.start[j] ? (emissions[j] as number) : Number.NEGATIVE_INFINITY;
  for (let t = 1; t < steps; t++) {
    for (let j = 0; j < L; j++) {
      let best = Number.NEGATIVE_INFINITY;
      let arg = -1;
      for (let i = 0; i < L; i++) {
        if (!rules.allowed[i * L + j]) continue;
        const s = score[i] as number;
        if (s > best) {
          best = s;
          arg = i;
        }
      }
      next[j] = arg < 0 ? Number.NEGATIVE_INFINITY : best + (emissions[t * L + j] as number);
      back[t * L + j] = arg;
    }
    [score, next] = [next, score];
  }
  let last = -1;
  let best = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < L; j++) {
    if (!rules.end[j]) continue;
    if ((score[j] as number) > best) {
      best = score[j] as number;
      last = j;
    }
  }
  if (last < 0) return undefined;
  const path = new Array<number>(steps);
  path[steps - 1] = last;
  for (let t = steps - 1; t > 0; t--) path[t - 1] = back[t * L + (path[t] as number)] as number;
  return path;
}

/**
 * Constrained decoding: the argmax path when it is already legal (so the two agree whenever they can),
 * else {@link viterbi}'s; the argmax path when no legal path exists.
 */
export function constrainedDecode(
  emissions: ArrayLike<number>,
  steps: number,
  rules: TransitionRules,
): number[] {
  const L = rules.labels.length;
  const greedy = new Array<number>(steps);
  for (let t = 0; t < steps; t++) {
    let arg = 0;
    for (let j = 1; j < L; j++)
      if ((emissions[t * L + j] as number) > (emissions[t * L + arg] as number)) arg = j;
    greedy[t] = arg;
  }
  if (isLegalPath(greedy, rules)) return greedy;
  return viterbi(emissions, steps, rules) ?? greedy;
}
