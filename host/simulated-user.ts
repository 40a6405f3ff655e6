import type { DebugLink } from './debug-link.js';
import type { Instruction, UserInteraction } from './user-interaction.js';

/** Fingerprint match plus ECG liveness on the band (docs/band.md, "Authentication"). */
const AUTHENTICATION_TIME_MS = 3_000;

/** How a `SimulatedUser` behaves beyond its hands and finger. */
export interface SimulatedUserOptions {
  /**
   * Keep every instruction received in `told`, in order (tests, transcripts). Off by default: a simulated person that
   * lives as long as its band would keep every instruction of every flow (about 20 objects per band by the end of a
   * re-enrollment, test/bench/fleet.ts).
   */
  recordInstructions?: boolean;
}

/** What a person made without `recordInstructions` was told: nothing, and nothing can be added to it. */
const NOTHING_TOLD: readonly Instruction[] = Object.freeze([]);

/**
 * A person simulated through a band's debug link: reads the display, wears and removes the band, touches the
 * sensor with a named finger and presses the buttons. For rigs, demos and tests; a real band needs a person.
 */
export class SimulatedUser implements UserInteraction {
  readonly #told?: Instruction[];

  constructor(
    private readonly hands: DebugLink,
    /** The finger this person enrolls and authenticates with, e.g. `tw-user2/right-index`. */
    readonly finger: string,
    options: SimulatedUserOptions = {},
  ) {
    if (options.recordInstructions) this.#told = [];
  }

  /**
   * Every instruction received, in order, when made with `recordInstructions`; otherwise always empty (a fleet of
   * simulated people would otherwise keep every instruction each was given).
   */
  get told(): readonly Instruction[] {
    return this.#told ?? NOTHING_TOLD;
  }

  /**
   * Performs the instruction. A one-step instruction returns the debug link's call itself rather than awaiting it in
   * an async frame of its own: a tap the band waits for stays in flight that long, once per band.
   */
  instruct(instruction: Instruction, signal?: AbortSignal): Promise<void> {
    this.#told?.push(instruction);
    const options = { signal };
    switch (instruction.kind) {
      case 'delete-user-data':
        return this.deleteUserData(instruction, options);
      case 'wear-band':
        return this.wearBand(options);
      case 'touch-sensor':
        return this.hands.touch(this.finger, {}, options);
      case 'authenticate':
        return this.authenticate(options);
      case 'confirm-presence':
        return this.hands.press('BUTTON_TOP', options);
    }
    return Promise.resolve();
  }

  async readSetupCode(signal?: AbortSignal): Promise<string> {
    const screen = await this.hands.readScreen({ signal });
    return screen.setupCode;
  }

  private async deleteUserData(
    instruction: Extract<Instruction, { kind: 'delete-user-data' }>,
    options: { signal?: AbortSignal },
  ): Promise<void> {
    if (instruction.removeFromWrist) await this.hands.setWrist(false, options);
    if (instruction.placeOnCharger) await this.hands.setCharger(true, options);
    await this.hands.hold('BUTTON_BOTTOM', instruction.holdBottomButtonMs, options);
  }

  private async wearBand(options: { signal?: AbortSignal }): Promise<void> {
    await this.hands.setCharger(false, options);
    await this.hands.setWrist(true, options);
  }

  private async authenticate(options: { signal?: AbortSignal }): Promise<void> {
    // A person keeps the finger on until the band has matched it and felt a heartbeat; on a simulated
    // band that time passes on the band's own clock.
    await this.hands.fingerOn(this.finger, {}, options);
    await this.hands.advanceClock(AUTHENTICATION_TIME_MS, options);
    await this.hands.fingerOff(options);
  }
}
