/** A command-line usage problem (unknown option, missing argument): exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
