import { readFile } from 'node:fs/promises';
import { InvalidPlanError } from '../errors';
import { parsePrecisionPlan } from './parse-precision-plan';
import type { PrecisionPlan } from './precision-plan';
import { writeFileAtomic } from './write-file-atomic';

/**
 * Reads and validates a PrecisionPlan JSON file.
 * @throws InvalidPlanError naming the file (and the field) when it cannot be read, is not JSON, or is
 * not a valid plan.
 * @example
 * const plan = await readPrecisionPlan('plan.json');
 * checkPlanMatches(plan, model, 'plan.json');
 */
export async function readPrecisionPlan(file: string): Promise<PrecisionPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new InvalidPlanError(file, undefined, `cannot be read: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InvalidPlanError(file, undefined, `is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return parsePrecisionPlan(json, file);
}

/**
 * Validates `plan` and writes it to `file` as JSON with a deterministic key order, atomically (a temp
 * file in the same folder, then a rename): an existing file is never left half-written.
 * @throws InvalidPlanError when `plan` is not valid (nothing is written).
 * @example
 * await writePrecisionPlan('plan.json', uniformPlan(model, 'int8-ffn', { device: 'cuda' }));
 */
export async function writePrecisionPlan(file: string, plan: PrecisionPlan): Promise<void> {
  await writeFileAtomic(file, serializePrecisionPlan(plan, file));
}

/**
 * The JSON text `writePrecisionPlan` writes: validated, keys in canonical order, two-space indent.
 * @param source names the document in errors (default `PrecisionPlan`).
 */
export function serializePrecisionPlan(plan: PrecisionPlan, source = 'PrecisionPlan'): string {
  return `${JSON.stringify(parsePrecisionPlan(plan, source), null, 2)}\n`;
}
