import type { Command } from '../command';
import { calibrateCommand } from './calibrate';
import { doctorCommand } from './doctor';
import { encodeCommand } from './encode';
import { evalCommand } from './eval';
import { inspectCommand } from './inspect';
import { predictCommand } from './predict';
import { recommendCommand } from './recommend';
import { serveCommand } from './serve';
import { tokenizeCommand } from './tokenize';

/** Every `samp` sub-command, in the order `samp --help` lists them. */
export const commands: readonly Command[] = [
  tokenizeCommand,
  encodeCommand,
  predictCommand,
  evalCommand,
  calibrateCommand,
  recommendCommand,
  inspectCommand,
  doctorCommand,
  serveCommand,
];
