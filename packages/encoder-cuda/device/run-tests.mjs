#!/usr/bin/env node
// Runs the bundled test files of .cuda-carry/tests (made by pack.mjs) one process each, in order, and
// prints one summary line per file; exits non-zero when any test failed or a file crashed.
// Usage: node .cuda-carry/run-tests.mjs [name-filter]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'tests');
const filter = process.argv[2] ?? '';
let failed = 0;
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && f.includes(filter))
  .sort()) {
  process.stdout.write(`\n# ${file}\n`);
  const r = spawnSync(process.execPath, [join(dir, file)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`# ${file}: FAILED (exit ${r.status ?? r.signal})\n`);
  }
}
process.stdout.write(`${failed === 0 ? '\nall test files passed' : `\n${failed} test file(s) failed`}\n`);
process.exitCode = failed === 0 ? 0 : 1;
