import type { BandClient } from '../band-client.js';
import { ConsoleUser } from '../console-user.js';
import { SimulatedUser } from '../simulated-user.js';
import { describeInstruction, type UserInteraction } from '../user-interaction.js';
import type { CliContext } from './command.js';

/** The option that lets a rig stand in for the person (through the band's debug link). */
export const SIMULATE_USER_OPTION = { 'simulate-user': { type: 'string' } } as const;

/**
 * `--simulate-user FINGER`: a simulated person on the band's debug link (bandsim --debug-link), touching
 * with FINGER. Otherwise the person at this terminal, told on stderr and typing the setup code on stdin. With
 * --json each instruction is a JSON line on stderr (`type: "instruction"`) instead of a sentence.
 */
export function personFor(
  ctx: CliContext,
  band: BandClient,
  finger: string | undefined,
  /** The command whose --json progress lines carry what the person is asked (none when omitted). */
  command?: string,
): UserInteraction {
  const person = finger ? new SimulatedUser(band.debug, finger) : consolePerson(ctx);
  if (!ctx.global.json || command === undefined) return person;
  // --json: what the person is asked to do is a JSON line on stderr too, so a program can show it.
  return {
    async instruct(instruction, signal) {
      ctx.out.event(command, { type: 'instruction', ...instruction, text: describeInstruction(instruction) });
      await person.instruct(instruction, signal);
    },
    readSetupCode(signal) {
      ctx.out.event(command, {
        type: 'instruction',
        kind: 'setup-code',
        text: 'Type the setup code shown on the band, then Enter.',
      });
      return person.readSetupCode(signal);
    },
  };
}

function consolePerson(ctx: CliContext): UserInteraction {
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
