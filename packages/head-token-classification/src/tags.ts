/** Tagging schemes the decoder knows. `IOB2` is an alias of `BIO`, `IOBES` of `BIOES`. */
export type TagScheme = 'BIO' | 'IOB2' | 'BIOES' | 'IOBES';

/** The position part of a tag: Begin, Inside, End, Single, Outside. */
export type TagPrefix = 'B' | 'I' | 'E' | 'S' | 'O';

/** A parsed tag. `type` is `''` for `O`. */
export interface ParsedTag {
  readonly prefix: TagPrefix;
  readonly type: string;
}

const OUTSIDE: ParsedTag = { prefix: 'O', type: '' };
const PREFIXED = /^([BIESLU])[-_](.+)$/;

/**
 * Parses a label such as `B-PER`, `I_LOC`, `E-ORG`, `S-MISC` or `O`. BILOU's `L-`/`U-` read as `E-`/`S-`.
 * A label with no position prefix other than `O` (an IO scheme, e.g. `PER`) reads as `I-<label>`, so
 * consecutive tokens of that label form one entity.
 * @example
 * parseTag('B-PER'); // { prefix: 'B', type: 'PER' }
 */
export function parseTag(label: string): ParsedTag {
  if (label === 'O' || label === '') return OUTSIDE;
  const m = PREFIXED.exec(label);
  if (m === null) return { prefix: 'I', type: label };
  const p = m[1] as string;
  const prefix = (p === 'L' ? 'E' : p === 'U' ? 'S' : p) as TagPrefix;
  return { prefix, type: m[2] as string };
}

/** `BIO` or `BIOES`, normalising the aliases. */
export function canonicalScheme(scheme: TagScheme): 'BIO' | 'BIOES' {
  return scheme === 'BIOES' || scheme === 'IOBES' ? 'BIOES' : 'BIO';
}

/** The scheme a label set uses: `BIOES` when any label is an `E-`/`S-` (or `L-`/`U-`) tag, else `BIO`. */
export function detectScheme(labels: readonly string[]): 'BIO' | 'BIOES' {
  return labels.some((l) => {
    const { prefix } = parseTag(l);
    return prefix === 'E' || prefix === 'S';
  })
    ? 'BIOES'
    : 'BIO';
}

/** True for the scheme names {@link TagScheme} allows. */
export function isTagScheme(value: unknown): value is TagScheme {
  return value === 'BIO' || value === 'IOB2' || value === 'BIOES' || value === 'IOBES';
}
