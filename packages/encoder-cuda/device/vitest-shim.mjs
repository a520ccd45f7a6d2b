// A stand-in for the few `vitest` exports the encoder-cuda tests use (describe / it / each / skip /
// beforeAll / afterAll / expect), so that the very same test files run on the GPU machine, which has
// Node but no node_modules: pack.mjs bundles each test file with esbuild, aliasing `vitest` to this
// module, and run-tests.mjs runs the bundles. `expect` is vitest's own (@vitest/expect on chai).
import { chai, getState, JestAsymmetricMatchers, JestChaiExpect, JestExtend, setState } from '@vitest/expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

/** vitest's `expect`, built the way vitest builds it (assertion counting, asymmetric matchers). */
export const expect = (value, message) => {
  const { assertionCalls } = getState(expect);
  setState({ assertionCalls: assertionCalls + 1 }, expect);
  return chai.expect(value, message);
};
Object.assign(expect, chai.expect);
expect.getState = () => getState(expect);
expect.setState = (state) => setState(state, expect);
setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null }, expect);

class Skip extends Error {}

const root = { name: '', children: [], beforeAll: [], afterAll: [] };
let current = root;

const format = (name, args) => {
  let i = 0;
  return name.replace(/%[sdi]/g, () => String(args[i++]));
};
const eachOf = (register) => (table) => (name, fn) => {
  for (const row of table) {
    const args = Array.isArray(row) ? row : [row];
    register(format(name, args), (...ctx) => fn(...args, ...ctx));
  }
};

/** Groups tests; `fn` runs at once to collect them. */
export function describe(name, fn) {
  const suite = { name, children: [], beforeAll: [], afterAll: [] };
  current.children.push({ suite });
  const parent = current;
  current = suite;
  try {
    fn();
  } finally {
    current = parent;
  }
}
describe.each = (table) => (name, fn) => {
  for (const row of table) {
    const args = Array.isArray(row) ? row : [row];
    describe(format(name, args), () => fn(...args));
  }
};

/** Registers a test; `fn` receives a context whose `skip(reason)` skips it. */
export function it(name, fn) {
  current.children.push({ test: { name, fn } });
}
it.skip = (name, fn) => current.children.push({ test: { name, fn, skip: true } });
it.each = eachOf((name, fn) => it(name, (ctx) => fn(ctx)));
export const test = it;
export const beforeAll = (fn) => current.beforeAll.push(fn);
export const afterAll = (fn) => current.afterAll.push(fn);

/** Runs every registered test in order; returns { passed, failed, skipped, failures }. */
export async function runRegistered(log = (line) => process.stdout.write(`${line}\n`)) {
  const result = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const walk = async (suite, path) => {
    for (const fn of suite.beforeAll) await fn();
    for (const child of suite.children) {
      if (child.suite) {
        await walk(child.suite, [...path, child.suite.name]);
        continue;
      }
      const { name, fn, skip } = child.test;
      const title = [...path, name].join(' > ');
      if (skip) {
        result.skipped++;
        log(`  ↓ ${title}`);
        continue;
      }
      const started = performance.now();
      try {
        await fn({
          skip: (why) => {
            throw new Skip(why);
          },
        });
        result.passed++;
        log(`  ✓ ${title} (${(performance.now() - started).toFixed(0)} ms)`);
      } catch (error) {
        if (error instanceof Skip) {
          result.skipped++;
          log(`  ↓ ${title}: ${error.message}`);
        } else {
          result.failed++;
          result.failures.push({ title, error: error?.stack ?? String(error) });
          log(
            `  ✗ ${title}\n      ${String(error?.message ?? error)
              .split('\n')
              .join('\n      ')}`,
          );
        }
      }
    }
    for (const fn of suite.afterAll) await fn();
  };
  await walk(root, []);
  return result;
}
