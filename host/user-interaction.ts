/**
 * What a flow needs from the person holding the band. A Band Application implements it with its UI
 * (`ConsoleUser` prompts on a terminal); a test rig with a simulated person (`SimulatedUser`, over the
 * debug link). Flows never touch the band's buttons or sensor themselves: only the user can.
 */
export type Instruction =
  /** Delete user data is physical: off the wrist, on the charger, hold the bottom button. */
  | { kind: 'delete-user-data'; removeFromWrist: boolean; placeOnCharger: boolean; holdBottomButtonMs: number }
  /** Put the band on the wrist (enrollment needs a worn band to show its setup code). */
  | { kind: 'wear-band' }
  /** Touch the sensor for the next capture sample (LIFT FINGER / TOUCH SENSOR). */
  | { kind: 'touch-sensor'; goodTouches: number; touchesRequired: number; lastRejected: boolean }
  /** Authenticate on the band: finger on the sensor while worn. */
  | { kind: 'authenticate' }
  /** A FIDO2 request waits for the user's tap on the band. */
  | { kind: 'confirm-presence'; rpId?: string };

/**
 * The person holding the band, as a flow asks them for what only they can do. Implement it with your UI;
 * `ConsoleUser` uses a terminal, `SimulatedUser` a test band's debug link.
 */
export interface UserInteraction {
  /** Tells the user what to do now. A simulated user performs it before resolving. */
  instruct(instruction: Instruction, signal?: AbortSignal): Promise<void>;
  /** The setup code the user reads off the band's display and types in. */
  readSetupCode(signal?: AbortSignal): Promise<string>;
}

/** The sentence a person is shown for each instruction. */
export function describeInstruction(instruction: Instruction): string {
  switch (instruction.kind) {
    case 'delete-user-data': {
      const steps = [
        instruction.removeFromWrist ? 'take the band off your wrist' : '',
        instruction.placeOnCharger ? 'place it on its charger' : '',
        `hold the bottom button for ${Math.round(instruction.holdBottomButtonMs / 1000)} s until it vibrates twice and shows USER DATA DELETED`,
      ].filter(Boolean);
      return `Delete user data: ${steps.join(', then ')}.`;
    }
    case 'wear-band':
      return 'Put the band on your wrist.';
    case 'touch-sensor':
      return `${instruction.lastRejected ? 'That touch was not usable. ' : ''}Touch the sensor, then lift your finger (${instruction.goodTouches}/${instruction.touchesRequired}).`;
    case 'authenticate':
      return 'Authenticate: touch the sensor with your enrolled finger.';
    case 'confirm-presence':
      return `Tap the top button of your band to confirm${instruction.rpId ? ` (${instruction.rpId})` : ''}.`;
  }
}
