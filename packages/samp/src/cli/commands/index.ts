import type { Command } from '../command';
import { doctorCommand } from './doctor';
import { inspectCommand } from './inspect';
import { tokenizeCommand } from './tokenize';

/** Every `samp` sub-command, in the order `samp --help` lists them. */
export const commands: readonly Command[] = [tokenizeCommand, inspectCommand, doctorCommand];
