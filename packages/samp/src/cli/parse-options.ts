import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './usage-error';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's options strictly (unknown options and stray arguments are usage errors).
 * @param argv the arguments after the command name.
 * @param options the options the command accepts, as node:util parseArgs takes them.
 */
export function parseOptions<T extends Options>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Returns a required string option or throws a usage error naming it. */
export function requireOption(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`the option --${name} is required`);
  return value;
}

/**
 * Reads an integer option of at least `min` (undefined when the option is absent).
 * @throws UsageError naming the option when the value is not such an integer.
 */
export function integerOption(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(`--${name} expects an integer of at least ${min}, got "${value}"`);
  return Number(value);
}
