import type { DebugLink } from './debug-link.js';
import type { Instruction, UserInteraction } from './user-interaction.js';

/**
 * A person simulated through a band's debug link: reads the display, wears and removes the band, touches the
 * sensor with a named finger and presses the buttons. For rigs, demos and tests; a real band needs a person.
 */
export class SimulatedUser implements UserInteraction {
  /** Every instruction received, in order, for tests and transcripts. */
  readonly told: Instruction[] = [];

  constructor(
    private readonly hands: DebugLink,
    /** The finger this person enrolls and authenticates with, e.g. `tw-user2/right-index`. */
    readonly finger: string,
  ) {}

  async instruct(instruction: Instruction, signal?: AbortSignal): Promise<void> {
    this.told.push(instruction);
    const options = { signal };
    switch (instruction.kind) {
      case 'delete-user-data':
        if (instruction.removeFromWrist) await this.hands.setWrist(false, options);
        if (instruction.placeOnCharger) await this.hands.setCharger(true, options);
        await this.hands.hold('BUTTON_BOTTOM', instruction.holdBottomButtonMs, options);
        return;
      case 'wear-band':
        await this.hands.setCharger(false, options);
        await this.hands.setWrist(true, options);
        return;
      case 'touch-sensor':
      case 'authenticate':
        await this.hands.touch(this.finger, {}, options);
        return;
      case 'confirm-presence':
        await this.hands.press('BUTTON_TOP', options);
        return;
    }
  }

  async readSetupCode(signal?: AbortSignal): Promise<string> {
    const screen = await this.hands.readScreen({ signal });
    return screen.setupCode;
  }
}
