import type { CliCommand } from '../command.js';
import { directoryCommand } from './directory.js';
import { infoCommand } from './info.js';
import { stateCommand } from './state.js';

export const COMMANDS: CliCommand[] = [infoCommand, stateCommand, directoryCommand];
