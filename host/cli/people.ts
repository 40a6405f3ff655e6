import type { BandClient } from '../band-client.js';
import { ConsoleUser } from '../console-user.js';
import { SimulatedUser } from '../simulated-user.js';
import type { UserInteraction } from '../user-interaction.js';
import type { CliContext } from './command.js';

/** The option that lets a rig stand in for the person (through the band's debug link). */
export const SIMULATE_USER_OPTION = { 'simulate-user': { type: 'string' } } as const;

/**
 * `--simulate-user FINGER`: a simulated person on the band's debug link (bandsim --debug-link), touching
 * with FINGER. Otherwise the person at this terminal, told on stderr and typing the setup code on stdin.
 */
export function personFor(ctx: CliContext, band: BandClient, finger: string | undefined): UserInteraction {
  if (finger) return new SimulatedUser(band.debug, finger);
  const console = new ConsoleUser(ctx.stdin, (line) => (ctx.global.json ? undefined : ctx.out.progress(line)));
  return {
    // After each instruction the person acts: a spinner shows the wait on a terminal until the next line.
    async instruct(instruction, signal) {
      await console.instruct(instruction);
      if (!signal?.aborted) ctx.out.waitingForPerson();
    },
    readSetupCode: (signal) => console.readSetupCode(signal),
  };
}
