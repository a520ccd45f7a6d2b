import { expect } from 'vitest';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Asserts that `action` rejects with an instance of `errorClass` whose `code` is `code` and whose
 * message names every string of `mentions` (the file, the tensor, …); returns the error.
 */
export async function expectModelError<E extends ErrorClass>(
  action: Promise<unknown> | (() => unknown),
  errorClass: E,
  code: string,
  mentions: readonly string[],
): Promise<InstanceType<E>> {
  let caught: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected an error to be thrown').toBeInstanceOf(errorClass);
  const error = caught as InstanceType<E> & { code: string };
  expect(error.code).toBe(code);
  for (const m of mentions) expect(error.message).toContain(m);
  return error;
}
