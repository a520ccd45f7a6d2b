// Resident-memory measurement for the leak tests: a full garbage collection before each sample (so
// that what the GC would free anyway is not counted as growth) and a least-squares slope over the
// samples (so that one noisy sample cannot pass or fail the test alone).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Runs a full, synchronous garbage collection (exposing `gc` to this process on first use). */
export function collectGarbage(): void {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** Resident set size in bytes after a full garbage collection and a turn of the event loop. */
export async function settledRss(): Promise<number> {
  // Two turns: native finalizers (the addon's session holders) run after the GC, off the JS stack.
  for (let i = 0; i < 2; i++) {
    collectGarbage();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().rss;
}

/**
 * Threads of this process (Linux `/proc/self/status`): a session's pool threads live as long as its
 * native encoder, so a count back at its baseline shows that the encoders were destroyed.
 * @throws Error where there is no `/proc` (the leak tests run on Linux, as CI does).
 */
export function threadCount(): number {
  const status = '/proc/self/status';
  if (!existsSync(status)) throw new Error('the leak tests count threads in /proc/self/status: Linux only');
  const match = /^Threads:\s+(\d+)$/m.exec(readFileSync(status, 'utf8'));
  if (match === null) throw new Error(`${status} has no Threads line`);
  return Number(match[1]);
}

/** What {@link measureCycles} found. */
export interface LeakReport {
  name: string;
  cycles: number;
  warmupCycles: number;
  /** RSS after warm-up and at the end, MiB. */
  rssAfterWarmupMiB: number;
  rssEndMiB: number;
  /** End minus after-warm-up, MiB. */
  growthMiB: number;
  /** Least-squares slope of RSS over the measured cycles, bytes per cycle. */
  slopeBytesPerCycle: number;
  /** RSS samples (MiB): after warm-up, then at 8 evenly spaced cycles. */
  samplesMiB: number[];
  seconds: number;
}

/**
 * Runs `cycle` `warmup` times, then `cycles` times sampling the settled RSS 8 times, and reports the
 * growth. When `SAMP_LEAK_REPORT` names a file, the report is appended to it as a JSON line (long runs).
 */
export async function measureCycles(
  name: string,
  cycles: number,
  warmup: number,
  cycle: (i: number) => Promise<void>,
): Promise<LeakReport> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < warmup; i++) await cycle(i);
  const base = await settledRss();
  const samples: [number, number][] = [[0, base]];
  const every = Math.max(1, Math.floor(cycles / 8));
  for (let i = 1; i <= cycles; i++) {
    await cycle(warmup + i - 1);
    if (i % every === 0 || i === cycles) samples.push([i, await settledRss()]);
  }
  const n = samples.length;
  const mx = samples.reduce((s, [x]) => s + x, 0) / n;
  const my = samples.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = samples.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = samples.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const end = (samples[n - 1] as [number, number])[1];
  const mib = (b: number) => Math.round((b / 2 ** 20) * 100) / 100;
  const report: LeakReport = {
    name,
    cycles,
    warmupCycles: warmup,
    rssAfterWarmupMiB: mib(base),
    rssEndMiB: mib(end),
    growthMiB: mib(end - base),
    slopeBytesPerCycle: Math.round(sxx > 0 ? sxy / sxx : 0),
    samplesMiB: samples.map(([, y]) => mib(y)),
    seconds: Math.round(Number(process.hrtime.bigint() - started) / 1e7) / 100,
  };
  const file = process.env.SAMP_LEAK_REPORT;
  if (file !== undefined && file !== '') writeFileSync(file, `${JSON.stringify(report)}\n`, { flag: 'a' });
  return report;
}
