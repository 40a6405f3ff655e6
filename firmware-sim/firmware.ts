import type { BandEvent, BandState, FidoCredential, Screen } from '../proto/index.js';
import type { Body } from './body.js';
import type { Timer } from './clock.js';
import type { FlashChanges, FlashStore } from './flash-store.js';
import type { FlashOptions } from './flash.js';
import type { RandomSource } from './random.js';
import type { BOOT, Trigger } from './transitions.js';
import type { StoredUser } from './user-data.js';

export type { BandEvent };

export interface BandConfig {
  serialNumber: string;
  firmwareVersion: string;
  seos: boolean;
  /** FIDO2 user presence without the top button (rigs and demos). */
  autoPresence: boolean;
  batteryPercent?: number;
  flash?: FlashOptions;
}

/** How the band reaches the CTAP2 authenticator it hosts, without knowing its insides. */
export interface BandHooks {
  /**
   * After every boot: the authenticator drops what it holds in RAM. (Not after the wipe: its RAM state is
   * tied to the master secret the wipe deletes, so it dies with it.)
   */
  powerUp?(): void;
  /** Resident FIDO2 credentials, read from the authenticator's keys; absent when the band has no FIDO2. */
  fidoCredentials?(store: FlashStore): FidoCredential[];
  fidoCredentialCount?(store: FlashStore): number;
}

/**
 * What the band's kernel (firmware-sim/band.ts) offers the controllers that run one concern each
 * (enrollment, matching, delete user data, FIDO2 presence): the state table, the display, timers that die
 * with the power, events, the body and the flash. A controller changes state only through `go`.
 */
export interface Firmware {
  readonly config: BandConfig;
  readonly body: Body;
  readonly random: RandomSource;
  readonly state: BandState;
  readonly isPowered: boolean;
  readonly storageFault: Error | undefined;
  /** The enrolled user as RAM holds it (flash holds the truth; a controller commits before it sets). */
  user: StoredUser | undefined;
  /** A screen drawn over the state's own (NO MATCH, CONFIRM, USER DATA DELETED), or undefined. */
  overlay: Screen | undefined;
  /** The state's resting place once nothing is in progress: UNENROLLED, LOCKED_OUT or one of the two below. */
  restingState(authenticated: boolean): BandState;
  /** Moves through the state table (transitions.ts); a move not listed there is a firmware bug and throws. */
  go(to: BandState, on: Trigger, overlay?: Screen): void;
  redraw(): void;
  /** Keeps the current overlay `ms`, then draws `then()` over the state's screen. */
  showFor(ms: number, then: () => Screen | undefined): void;
  /** Clears an overlay and its timer. */
  dropOverlay(): void;
  emit(event: BandEvent): void;
  /** A band-clock timer that dies with the power; its action runs guarded (storage trouble or a watchdog reset). */
  after(ms: number, action: () => void): Timer;
  commit(changes: FlashChanges): void;
  read(key: string): Uint8Array | undefined;
}

/** One concern of the firmware, holding its own RAM. */
export interface Controller {
  /** The state table moved from `from` to `to`: drop what does not survive it. */
  moved?(from: BandState | typeof BOOT, to: BandState, on: Trigger): void;
  /** RAM is lost (power off, reboot, storage fault). */
  reset(): void;
}
