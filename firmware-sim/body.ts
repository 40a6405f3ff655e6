import type { Clock } from './clock.js';
import { Subscribers } from '../transport/index.js';

export type ButtonName = 'top' | 'bottom';

/** What the fingerprint sensor and ECG electrodes feel. */
export interface Touch {
  /** Which finger of which person, e.g. "tw-user2/right-index" (max 64). */
  finger: string;
  /** A partial or smudged touch: rejected during capture, fails a match. */
  poorQuality: boolean;
  /** False: the ECG finds no heartbeat through this touch. */
  liveness: boolean;
}

export type BodyChange =
  | { kind: 'finger'; touch: Touch | undefined }
  | { kind: 'wrist'; onWrist: boolean }
  | { kind: 'charger'; onCharger: boolean }
  | { kind: 'button'; button: ButtonName; down: boolean };

export const MAX_FINGER_LENGTH = 64;

/**
 * The physical world around one band: the wearer's finger and wrist, the charger, the two buttons.
 * It outlives the band's power (a power cut does not take the band off the wrist), and the band only
 * learns about it through `onChange` and by reading it at boot, as firmware reads its sensors.
 */
export class Body {
  private touchNow?: Touch;
  private wrist = false;
  private charger = false;
  // The two buttons held down: two fields, not a Set (~150 bytes a body, and a fleet holds a thousand).
  private topDown = false;
  private bottomDown = false;
  private readonly listeners = new Subscribers<BodyChange>();

  constructor(private readonly clock: Clock) {}

  get touch(): Touch | undefined {
    return this.touchNow;
  }
  get onWrist(): boolean {
    return this.wrist;
  }
  get onCharger(): boolean {
    return this.charger;
  }
  isDown(button: ButtonName): boolean {
    return button === 'top' ? this.topDown : button === 'bottom' && this.bottomDown;
  }

  /** A finger lands on the sensor. Another finger already there lifts first: a sensor feels one touch at a time. */
  fingerOn(finger: string, how: { poorQuality?: boolean; liveness?: boolean } = {}): void {
    if (typeof finger !== 'string' || finger.length === 0 || Buffer.byteLength(finger) > MAX_FINGER_LENGTH) {
      throw new RangeError(
        `expected a finger identity of 1..${MAX_FINGER_LENGTH} bytes, got ${JSON.stringify(finger)}; name it like "user/right-index"`,
      );
    }
    if (this.touchNow) this.fingerOff();
    this.touchNow = { finger, poorQuality: how.poorQuality ?? false, liveness: how.liveness ?? true };
    this.emit({ kind: 'finger', touch: this.touchNow });
  }

  fingerOff(): void {
    if (!this.touchNow) return;
    this.touchNow = undefined;
    this.emit({ kind: 'finger', touch: undefined });
  }

  /** A whole touch: on, then lifted. */
  touchOnce(finger: string, how: { poorQuality?: boolean; liveness?: boolean } = {}): void {
    this.fingerOn(finger, how);
    this.fingerOff();
  }

  setWrist(onWrist: boolean): void {
    if (this.wrist === onWrist) return;
    this.wrist = onWrist;
    this.emit({ kind: 'wrist', onWrist });
  }

  setCharger(onCharger: boolean): void {
    if (this.charger === onCharger) return;
    this.charger = onCharger;
    this.emit({ kind: 'charger', onCharger });
  }

  buttonDown(button: ButtonName): void {
    if (this.isDown(button)) return;
    this.setDown(button, true);
    this.emit({ kind: 'button', button, down: true });
  }

  buttonUp(button: ButtonName): void {
    if (!this.isDown(button)) return;
    this.setDown(button, false);
    this.emit({ kind: 'button', button, down: false });
  }

  press(button: ButtonName): void {
    this.buttonDown(button);
    this.buttonUp(button);
  }

  /** Down, `ms` of band time passes (timers fire while it is held), then up. */
  hold(button: ButtonName, ms: number): void {
    this.buttonDown(button);
    try {
      this.clock.advance(ms);
    } finally {
      this.buttonUp(button);
    }
  }

  private setDown(button: ButtonName, down: boolean): void {
    if (button === 'top') this.topDown = down;
    else if (button === 'bottom') this.bottomDown = down;
    else throw new RangeError(`expected the button 'top' or 'bottom', got ${JSON.stringify(button)}`);
  }

  onChange(listener: (change: BodyChange) => void): () => void {
    return this.listeners.add(listener);
  }

  private emit(change: BodyChange): void {
    this.listeners.emit(change);
  }
}
