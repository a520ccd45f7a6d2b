import type { Command } from '../command';
import { doctorCommand } from './doctor';
import { inspectCommand } from './inspect';

/** Every `samp` sub-command, in the order `samp --help` lists them. */
export const commands: readonly Command[] = [inspectCommand, doctorCommand];
