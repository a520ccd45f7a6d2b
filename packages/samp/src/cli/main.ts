import { commands } from './commands';
import { runCli } from './run-cli';

// The `samp` executable: everything testable lives in runCli; this file only binds it to the process.
const code = await runCli(process.argv.slice(2), commands, {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  stderrIsTty: process.stderr.isTTY === true,
  cwd: process.cwd(),
  env: process.env,
});
process.exitCode = code;
