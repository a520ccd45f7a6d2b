import type { CommandIo } from './command';

/** A one-line progress bar on stderr (a no-op unless stderr is a terminal). */
export interface ProgressBar {
  /**
   * Redraws the bar (at most every `minIntervalMs`, and always when `done === total`).
   * @param label what is going on, e.g. `pass 1/2`.
   * @param total unknown totals show the count only.
   */
  update(label: string, done: number, total?: number): void;
  /** Clears the line, so that what follows starts on a clean one. Idempotent. */
  finish(): void;
}

/** Options of {@link createProgressBar}. */
export interface ProgressBarOptions {
  /** Cells of the bar (default 30). */
  readonly width?: number;
  /** Least time between redraws (default 100 ms), so fast loops do not flood the terminal. */
  readonly minIntervalMs?: number;
  /** The clock (default `performance.now`); tests inject their own. */
  readonly now?: () => number;
}

/**
 * A progress bar for a command: drawn on stderr with `\r` when stderr is a TTY (the CLI contract),
 * nothing at all otherwise, so piped output and logs stay clean.
 * @example
 * const bar = createProgressBar(io);
 * bar.update('calibrating', 500, 1000); // calibrating [###############---------------]  50% 500/1000
 * bar.finish();
 */
export function createProgressBar(io: CommandIo, options: ProgressBarOptions = {}): ProgressBar {
  if (!io.stderrIsTty) return { update() {}, finish() {} };
  const width = options.width ?? 30;
  const minInterval = options.minIntervalMs ?? 100;
  const now = options.now ?? (() => performance.now());
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(label, done, total) {
      const t = now();
      const complete = total !== undefined && done >= total;
      if (!complete && t - last < minInterval) return;
      last = t;
      let text = `${label} ${done}`;
      if (total !== undefined && total > 0) {
        const fraction = Math.min(1, Math.max(0, done / total));
        const filled = Math.round(fraction * width);
        const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
        text = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent} ${done}/${total}`;
      }
      // \x1b[K clears what a longer previous line left behind.
      io.stderr.write(`\r${text}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (!drawn) return;
      io.stderr.write('\r\x1b[K');
      drawn = false;
    },
  };
}
