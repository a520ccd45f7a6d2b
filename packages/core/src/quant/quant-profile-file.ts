import { readFile } from 'node:fs/promises';
import { InvalidProfileError } from '../errors';
import { parseQuantProfile } from './parse-quant-profile';
import type { QuantProfile } from './quant-profile';
import { writeFileAtomic } from './write-file-atomic';

/**
 * Reads and validates a QuantProfile JSON file.
 * @throws InvalidProfileError naming the file (and the field) when it cannot be read, is not JSON, or
 * is not a valid profile.
 * @example
 * const profile = await readQuantProfile('bert-base.profile.json');
 * checkProfileMatches(profile, model, 'bert-base.profile.json');
 */
export async function readQuantProfile(file: string): Promise<QuantProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new InvalidProfileError(file, undefined, `cannot be read: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InvalidProfileError(file, undefined, `is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  return parseQuantProfile(json, file);
}

/**
 * Validates `profile` and writes it to `file` as JSON with a deterministic key order, atomically (a
 * temp file in the same folder, then a rename): an existing file is never left half-written.
 * @throws InvalidProfileError when `profile` is not valid (nothing is written).
 * @example
 * await writeQuantProfile('bert-base.profile.json', profile);
 */
export async function writeQuantProfile(file: string, profile: QuantProfile): Promise<void> {
  await writeFileAtomic(file, serializeQuantProfile(profile, file));
}

/**
 * The JSON text `writeQuantProfile` writes: validated, keys in canonical order, two-space indent.
 * @param source names the document in errors (default `QuantProfile`).
 */
export function serializeQuantProfile(profile: QuantProfile, source = 'QuantProfile'): string {
  return `${JSON.stringify(parseQuantProfile(profile, source), null, 2)}\n`;
}
