import type { Readable, Writable } from 'node:stream';

/** The streams and environment a command runs with; tests pass their own. */
export interface CommandIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Whether stderr is a terminal (progress bars and tables only then). */
  readonly stderrIsTty: boolean;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One `samp` sub-command. */
export interface Command {
  readonly name: string;
  /** One line for `samp --help`. */
  readonly summary: string;
  /** The usage text for `samp <name> --help`. */
  readonly usage: string;
  /** Runs the command and resolves to the process exit code. Throws typed errors on bad input. */
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}
