import { SampError } from '@samp/core';
import type { Command, CommandIo } from './command';
import { UsageError } from './usage-error';

/** Exit status for bad usage (unknown command or option), as most CLIs do. */
const USAGE_EXIT = 2;

function help(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: samp <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun \`samp <command> --help\` for a command's options.\n`;
}

/**
 * Runs one `samp` invocation and resolves to its exit status. Errors become one clear line on stderr:
 * usage errors exit 2, samp's typed errors (bad input, unreadable model…) exit 1.
 */
export async function runCli(
  argv: readonly string[],
  commands: readonly Command[],
  io: CommandIo,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help(commands));
    return name === undefined ? USAGE_EXIT : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`samp: unknown command "${name}"\n${help(commands)}`);
    return USAGE_EXIT;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return reportError(command.name, error, io);
  }
}

/**
 * A message on one line, as the CLI contract wants: multi-line messages (every backend's reason, every
 * path tried) are joined with `; `.
 */
export function oneLine(message: string): string {
  const [first = '', ...rest] = message
    .split('\n')
    .map((l) => l.trim().replace(/^- /, ''))
    .filter((l) => l !== '');
  if (rest.length === 0) return first;
  return `${first}${first.endsWith(':') ? ' ' : '; '}${rest.join('; ')}`;
}

function reportError(name: string, error: unknown, io: CommandIo): number {
  if (error instanceof UsageError) {
    io.stderr.write(`samp ${name}: ${oneLine(error.message)}\n`);
    return USAGE_EXIT;
  }
  if (SampError.isInstance(error)) {
    io.stderr.write(`samp ${name}: ${oneLine(error.message)} [${error.code}]\n`);
    return 1;
  }
  // An unexpected failure: still one line first, then the stack for a bug report.
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`samp ${name}: internal error: ${oneLine(message)}\n`);
  if (error instanceof Error && error.stack !== undefined && io.env.SAMP_DEBUG !== undefined) {
    io.stderr.write(`${error.stack}\n`);
  }
  return 1;
}
