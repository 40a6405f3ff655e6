import type { CliCommand } from '../command.js';
import { conformanceCommand } from './conformance.js';
import { debugCommand } from './debug.js';
import { directoryCommand } from './directory.js';
import { enrollCommand } from './enroll.js';
import { fido2Command } from './fido2.js';
import { infoCommand } from './info.js';
import { listCommand } from './list.js';
import { reenrollCommand } from './reenroll.js';
import { registerKeyCommand } from './register-key.js';
import { stateCommand } from './state.js';
import { traceCommand } from './trace.js';
import { wipeCommand } from './wipe.js';

export const COMMANDS: CliCommand[] = [
  listCommand,
  infoCommand,
  stateCommand,
  wipeCommand,
  enrollCommand,
  registerKeyCommand,
  reenrollCommand,
  fido2Command,
  debugCommand,
  conformanceCommand,
  directoryCommand,
  traceCommand,
];
