import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { SampError } from '../../../src/errors/samp-error';

/**
 * The fuzz harness shared by every target in `test/fuzz/`. Each input is rendered to the bytes of a
 * file, handed to the parser, and must end in one of two ways: a result, or a `SampError`. Anything
 * else — a TypeError, a RangeError, a stack overflow — fails the run, and fast-check shrinks the
 * mutation that caused it to a minimal one. Each input must also finish within `MAX_INPUT_MS`, and
 * no typed array or ArrayBuffer larger than the file (plus a small slack) may be allocated while it
 * is parsed: that is how "sizes are checked before allocating" is verified, since a file of a few
 * bytes claiming a length of 2^63 would otherwise make the parser ask for it.
 *
 * Modes: by default a short deterministic run (the CI part); `SAMP_FUZZ_RUNS=100000` for the long
 * runs (`scripts/fuzz-long.mjs`), `SAMP_FUZZ_SEED` to change the seed, `SAMP_FUZZ_STATS_DIR` to
 * write each target's counts as JSON.
 */

/** The longest one input may take. */
export const MAX_INPUT_MS = 1000;
/** Allocation slack over the file size (fixed-size reads such as the 4-byte magic of an empty file). */
const ALLOCATION_SLACK = 4096;
/** Growth of `process.memoryUsage().arrayBuffers` over one input that counts as unbounded. */
const MAX_ARRAY_BUFFER_GROWTH = 512 * 1024 * 1024;

export interface FuzzTarget<I> {
  /** Short name, used for stats and failure files. */
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<I>;
  /** The bytes of the file an input stands for. */
  render(input: I): Uint8Array;
  /** Parses the bytes (writing them to a file first, for file parsers); throws on refusal. */
  parse(bytes: Uint8Array): Promise<unknown>;
  /** Extra checks on a successful result (e.g. reading every tensor it describes). */
  check?(result: unknown, bytes: Uint8Array): Promise<void>;
  /**
   * The largest allocation one input may cause; default its own size. (A sharded index may make the
   * parser read its shards' headers, which are bigger than the index.)
   */
  maxAllocation?(bytes: Uint8Array): number;
  /** Default short-run count. */
  readonly ciRuns: number;
}

export interface FuzzStats {
  target: string;
  seed: number;
  runs: number;
  /** Inputs parsed successfully. */
  accepted: number;
  /** Refusals by error code. */
  refusedByCode: Record<string, number>;
  maxInputMs: number;
  /** The largest typed array / ArrayBuffer asked for, over the input's size. */
  maxAllocationRatio: number;
  maxArrayBufferGrowth: number;
  durationMs: number;
}

type Ctor = new (...args: never[]) => unknown;

/** Records the largest length asked of the typed-array and ArrayBuffer constructors while installed. */
class AllocationGuard {
  largest = 0;
  readonly #saved: [string, Ctor][] = [];

  install(): void {
    const names = [
      'ArrayBuffer',
      'SharedArrayBuffer',
      'Uint8Array',
      'Int8Array',
      'Uint16Array',
      'Int16Array',
    ];
    names.push(
      'Uint32Array',
      'Int32Array',
      'Float32Array',
      'Float64Array',
      'BigInt64Array',
      'BigUint64Array',
    );
    const g = globalThis as unknown as Record<string, Ctor>;
    for (const name of names) {
      const original = g[name] as Ctor;
      const bytesPer = (original as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      this.#saved.push([name, original]);
      g[name] = new Proxy(original, {
        construct: (target, args: unknown[], newTarget) => {
          const first = args[0];
          if (typeof first === 'number' && first * bytesPer > this.largest) {
            this.largest = first * bytesPer;
            if (process.env.SAMP_FUZZ_TRACE_ALLOC !== undefined && this.largest > 8192) {
              process.stderr.write(`alloc ${this.largest}: ${new Error().stack}\n`);
            }
          }
          return Reflect.construct(target, args, newTarget === g[name] ? target : newTarget);
        },
      });
    }
  }

  uninstall(): void {
    const g = globalThis as unknown as Record<string, Ctor>;
    for (const [name, original] of this.#saved.splice(0)) g[name] = original;
  }
}

function describe(error: unknown): string {
  const cut = (s: string) => (s.length > 2000 ? `${s.slice(0, 2000)}…` : s);
  if (error instanceof Error) {
    const stack = (error.stack ?? '').split('\n').filter((line) => line.startsWith('    at '));
    return `${error.constructor.name}: ${cut(error.message)}\n${stack.slice(0, 12).join('\n')}`;
  }
  return cut(String(error));
}

function failureDir(): string {
  return process.env.SAMP_FUZZ_FAILURES_DIR ?? join(tmpdir(), 'samp-fuzz-failures');
}

/** Runs `target` for `SAMP_FUZZ_RUNS` (else `ciRuns`) inputs; throws with the shrunk input on a failure. */
export async function runFuzz<I>(target: FuzzTarget<I>): Promise<FuzzStats> {
  const runs = Number(process.env.SAMP_FUZZ_RUNS ?? target.ciRuns);
  const seed = Number(process.env.SAMP_FUZZ_SEED ?? 20_240_601);
  const stats: FuzzStats = {
    target: target.name,
    seed,
    runs: 0,
    accepted: 0,
    refusedByCode: {},
    maxInputMs: 0,
    maxAllocationRatio: 0,
    maxArrayBufferGrowth: 0,
    durationMs: 0,
  };
  const started = performance.now();
  const property = fc.asyncProperty(target.arbitrary, async (input) => {
    const bytes = target.render(input);
    const guard = new AllocationGuard();
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    let outcome: string;
    guard.install();
    try {
      const result = await target.parse(bytes);
      // The checks of a result (reading tensors, which may build the 256 KiB float16 table once)
      // run outside the guard; they verify the accepted offsets against the file instead.
      guard.uninstall();
      await target.check?.(result, bytes);
      outcome = 'accepted';
    } catch (error) {
      if (!SampError.isInstance(error)) {
        throw new Error(`the parser threw something other than a SampError: ${describe(error)}`);
      }
      outcome = error.code;
    } finally {
      guard.uninstall();
    }
    const elapsed = performance.now() - t0;
    const growth = process.memoryUsage().arrayBuffers - before;
    stats.runs += 1;
    if (outcome === 'accepted') stats.accepted += 1;
    else stats.refusedByCode[outcome] = (stats.refusedByCode[outcome] ?? 0) + 1;
    stats.maxInputMs = Math.max(stats.maxInputMs, elapsed);
    stats.maxAllocationRatio = Math.max(stats.maxAllocationRatio, guard.largest / Math.max(1, bytes.length));
    stats.maxArrayBufferGrowth = Math.max(stats.maxArrayBufferGrowth, growth);
    if (elapsed > MAX_INPUT_MS)
      throw new Error(`one input took ${elapsed.toFixed(0)} ms (limit ${MAX_INPUT_MS})`);
    if (guard.largest > (target.maxAllocation?.(bytes) ?? bytes.length) + ALLOCATION_SLACK) {
      throw new Error(`a buffer of ${guard.largest} bytes was allocated for a ${bytes.length}-byte input`);
    }
    if (growth > MAX_ARRAY_BUFFER_GROWTH)
      throw new Error(`array buffers grew by ${growth} bytes for one input`);
  });
  const result = await fc.check(property, { numRuns: runs, seed });
  stats.durationMs = performance.now() - started;
  if (result.failed) {
    const example = result.counterexample?.[0] as I | undefined;
    let saved = '';
    if (example !== undefined) {
      mkdirSync(failureDir(), { recursive: true });
      const file = join(failureDir(), `${target.name}-seed${seed}-run${result.numRuns}.bin`);
      writeFileSync(file, target.render(example));
      saved = `\nminimised input written to ${file}`;
    }
    throw new Error(
      `fuzz target ${target.name} failed after ${result.numRuns} inputs (seed ${seed}, path ${result.counterexamplePath})` +
        `\ninput: ${fc.stringify(example)}\n${describe(result.errorInstance)}${saved}`,
    );
  }
  const dir = process.env.SAMP_FUZZ_STATS_DIR;
  if (dir !== undefined) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${target.name}.json`), `${JSON.stringify(stats, null, 2)}\n`);
  }
  return stats;
}

/** The per-test timeout for a run of `ciRuns` (or `SAMP_FUZZ_RUNS`) inputs. */
export function fuzzTimeout(ciRuns: number): number {
  const runs = Number(process.env.SAMP_FUZZ_RUNS ?? ciRuns);
  return Math.max(60_000, runs * 25);
}
