import type { DebugLink } from './debug-link.js';
import type { Instruction, UserInteraction } from './user-interaction.js';

/** Fingerprint match plus ECG liveness on the band (docs/band.md, "Authentication"). */
const AUTHENTICATION_TIME_MS = 3_000;

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
        await this.hands.touch(this.finger, {}, options);
        return;
      case 'authenticate':
        // A person keeps the finger on until the band has matched it and felt a heartbeat; on a simulated
        // band that time passes on the band's own clock.
        await this.hands.fingerOn(this.finger, {}, options);
        await this.hands.advanceClock(AUTHENTICATION_TIME_MS, options);
        await this.hands.fingerOff(options);
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
