// runCli's error reporting: one stderr line whatever the error's message looks like.
import { NoBackendAvailableError } from '@samp/core';
import { describe, expect, it } from 'vitest';
import type { Command } from '../src/cli/command';
import { oneLine, runCli } from '../src/cli/run-cli';
import { memoryIo } from './support/memory-io';

const failing = (error: unknown): Command => ({
  name: 'fail',
  summary: 'fails',
  usage: 'usage: samp fail',
  run: async () => {
    throw error;
  },
});

describe('runCli errors', () => {
  it('prints a multi-line samp error on one line, with its code, and exits 1', async () => {
    const io = memoryIo();
    const error = new NoBackendAvailableError([
      { backend: 'cuda', reason: 'not-built: no addon' },
      { backend: 'cpu', reason: 'unavailable: no avx2' },
    ]);
    expect(await runCli(['fail'], [failing(error)], io)).toBe(1);
    expect(io.err()).toBe(
      'samp fail: no backend is available: cuda: not-built: no addon; cpu: unavailable: no avx2 [SAMP_NO_BACKEND]\n',
    );
  });

  it('joins other multi-line messages with "; "', () => {
    expect(oneLine('one')).toBe('one');
    expect(oneLine('first\n  second\n\nthird\n')).toBe('first; second; third');
    expect(oneLine('tried:\n  - /a\n  - /b\nrun the build')).toBe('tried: /a; /b; run the build');
  });
});
