import type { Command } from '../command';
import { doctorCommand } from './doctor';
import { encodeCommand } from './encode';
import { evalCommand } from './eval';
import { inspectCommand } from './inspect';
import { predictCommand } from './predict';
import { tokenizeCommand } from './tokenize';

/** Every `samp` sub-command, in the order `samp --help` lists them. */
export const commands: readonly Command[] = [
  tokenizeCommand,
  encodeCommand,
  predictCommand,
  evalCommand,
  inspectCommand,
  doctorCommand,
];
