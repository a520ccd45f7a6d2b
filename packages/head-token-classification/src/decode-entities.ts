import { InvalidArgumentError } from '@samp/core';
import { getEntities } from './chunks';
import { parseTag } from './tags';
import { wordIdsFromOffsets } from './words';

/** An entity in a text: `[start, end)` in UTF-16 code units, so `text === source.slice(start, end)`. */
export interface EntitySpan {
  type: string;
  start: number;
  end: number;
  /** The covered text, when the source text is known. */
  text?: string;
  /** The mean probability of the entity's tags, when token scores are known. */
  score?: number;
}

/** Token offsets: flat `[start, end)` pairs (as in `HeadContext.offsets`) or an array of pairs. */
export type TokenOffsets = ArrayLike<number> | readonly (readonly [number, number])[];

/** How word pieces are merged before decoding. */
export type Aggregation = 'first' | 'none';

/** Options of {@link decodeTags}. */
export interface DecodeTagsOptions {
  /** The text the offsets point into: gives each entity its `text`, and is needed to merge word pieces. */
  text?: string;
  /** Per token, the probability of its tag; an entity's `score` is their mean over its tagged tokens. */
  scores?: ArrayLike<number>;
  /**
   * `first` (the default when `text` is given): the pieces of one word take the tag of its first piece,
   * and the entity spans whole words. `none` (the default without `text`): every token keeps its own tag.
   */
  aggregation?: Aggregation;
}

/** The tokens that carry tags after aggregation, with the character span of the word each one starts. */
export interface TaggedUnits {
  /** Token index of each unit (the word's first piece, or every real token with `none`). */
  readonly token: number[];
  readonly start: number[];
  readonly end: number[];
}

function flatOffsets(offsets: TokenOffsets): ArrayLike<number> {
  const first = (offsets as ArrayLike<unknown>)[0];
  if (Array.isArray(first)) return (offsets as readonly (readonly [number, number])[]).flat();
  return offsets as ArrayLike<number>;
}

/**
 * The units a tag sequence is decoded over: real tokens (non-empty span) among the first `tokens`, merged
 * into words with `first` aggregation (see `wordIdsFromOffsets`).
 * @throws InvalidArgumentError when `first` aggregation is asked for without the text, or when there are
 *   fewer offset pairs than tokens.
 */
export function taggedUnits(
  offsets: TokenOffsets,
  tokens: number,
  aggregation: Aggregation,
  text: string | undefined,
): TaggedUnits {
  const flat = flatOffsets(offsets);
  if (flat.length < 2 * tokens)
    throw new InvalidArgumentError(
      'offsets',
      `has ${flat.length >> 1} [start, end) pairs for ${tokens} tokens`,
    );
  const units: TaggedUnits = { token: [], start: [], end: [] };
  if (aggregation === 'first') {
    if (text === undefined)
      throw new InvalidArgumentError('text', "aggregation 'first' needs the text the offsets point into");
    const words = wordIdsFromOffsets(text, flat, tokens);
    let last = -1;
    for (let t = 0; t < tokens; t++) {
      const w = words[t] as number;
      if (w < 0) continue;
      if (w !== last) {
        units.token.push(t);
        units.start.push(flat[2 * t] as number);
        units.end.push(flat[2 * t + 1] as number);
        last = w;
      } else {
        units.end[units.end.length - 1] = flat[2 * t + 1] as number;
      }
    }
    return units;
  }
  for (let t = 0; t < tokens; t++) {
    const s = flat[2 * t] as number;
    const e = flat[2 * t + 1] as number;
    if (e <= s) continue;
    units.token.push(t);
    units.start.push(s);
    units.end.push(e);
  }
  return units;
}

/**
 * Entities from per-unit tags: seqeval's default repair rules (see {@link getEntities}) over the units,
 * each entity spanning from its first unit's start to its last unit's end.
 * @param tags one tag per unit.
 * @param unitScores one probability per unit (optional), averaged into each entity's score.
 */
export function entitiesFromUnits(
  tags: readonly string[],
  units: TaggedUnits,
  text: string | undefined,
  unitScores?: ArrayLike<number>,
): EntitySpan[] {
  return getEntities(tags.map(parseTag)).map((chunk) => {
    const start = units.start[chunk.start] as number;
    const end = units.end[chunk.end - 1] as number;
    const entity: EntitySpan = { type: chunk.type, start, end };
    if (text !== undefined) entity.text = text.slice(start, end);
    if (unitScores !== undefined) {
      let sum = 0;
      for (let u = chunk.start; u < chunk.end; u++) sum += unitScores[u] as number;
      entity.score = sum / (chunk.end - chunk.start);
    }
    return entity;
  });
}

/**
 * Decodes one sequence's token tags into entity spans: tokens with an empty span (special tokens, padding)
 * are skipped, word pieces merge (`first` aggregation), and invalid sequences are repaired as seqeval does
 * by default. Offsets are whatever unit the caller's offsets are in (samp's tokenizer: UTF-16).
 * @param tags one label per token (e.g. `B-PER`), aligned with `offsets`.
 * @example
 * decodeTags(['O', 'B-PER', 'I-PER', 'O'], [[0, 0], [0, 4], [5, 10], [0, 0]], { text: 'Anna Smith' });
 * // [{ type: 'PER', start: 0, end: 10, text: 'Anna Smith' }]
 */
export function decodeTags(
  tags: readonly string[],
  offsets: TokenOffsets,
  options: DecodeTagsOptions = {},
): EntitySpan[] {
  const aggregation = options.aggregation ?? (options.text === undefined ? 'none' : 'first');
  const units = taggedUnits(offsets, tags.length, aggregation, options.text);
  const unitTags = units.token.map((t) => tags[t] as string);
  const scores = options.scores;
  const unitScores = scores === undefined ? undefined : units.token.map((t) => scores[t] as number);
  return entitiesFromUnits(unitTags, units, options.text, unitScores);
}
