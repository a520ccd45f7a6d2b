import { type ParsedTag, parseTag, type TagPrefix } from './tags';

/** An entity over tag positions: `[start, end)` indices into the tag sequence. */
export interface TagChunk {
  type: string;
  start: number;
  end: number;
}

// seqeval gives `O` the type '_' (its type is the empty string, replaced by '_').
const O_TYPE = '\u0000O';

function endOfChunk(prev: TagPrefix, tag: TagPrefix, prevType: string, type: string): boolean {
  if (prev === 'E' || prev === 'S') return true;
  if ((prev === 'B' || prev === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  return prev !== 'O' && prevType !== type;
}

function startOfChunk(prev: TagPrefix, tag: TagPrefix, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prev === 'E' || prev === 'S' || prev === 'O') && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && prevType !== type;
}

/**
 * Entities in a tag sequence, exactly as seqeval's `get_entities` in its default (non-strict) mode, which
 * reads BIO/IOB2 and BIOES/IOBES alike and repairs invalid sequences instead of dropping them:
 * - an entity ends at `O`, at `B-`/`S-`, after `E-`/`S-`, and wherever the type changes;
 * - an entity starts at `B-`/`S-`, at any tag whose type differs from the previous tag's, and at `I-`/`E-`
 *   after `O`, after `E-`/`S-` or at the start: so a stray `I-x` (after `O` or after another type) begins a
 *   new `x` entity, a stray `E-x` is a one-token entity, and `B-x I-y` is two entities.
 * Tags may be label strings or already parsed.
 * @returns the chunks in order, with `end` exclusive.
 * @example
 * getEntities(['B-PER', 'I-PER', 'O', 'I-LOC']); // [{type:'PER',start:0,end:2}, {type:'LOC',start:3,end:4}]
 */
export function getEntities(tags: readonly (string | ParsedTag)[]): TagChunk[] {
  const chunks: TagChunk[] = [];
  let prev: TagPrefix = 'O';
  let prevType = O_TYPE;
  let begin = 0;
  for (let i = 0; i <= tags.length; i++) {
    const raw = i < tags.length ? tags[i] : 'O';
    const t = typeof raw === 'string' ? parseTag(raw) : (raw as ParsedTag);
    const type = t.prefix === 'O' ? O_TYPE : t.type;
    if (endOfChunk(prev, t.prefix, prevType, type)) chunks.push({ type: prevType, start: begin, end: i });
    if (startOfChunk(prev, t.prefix, prevType, type)) begin = i;
    prev = t.prefix;
    prevType = type;
  }
  return chunks;
}
