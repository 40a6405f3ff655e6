import type { AuthenticationReason, BandState } from '../proto/index.js';
import type { Touch } from './body.js';
import type { Timer } from './clock.js';
import type { Controller, Firmware } from './firmware.js';
import type { FlashStore } from './flash-store.js';
import { Rules } from './rules.js';
import { templateMatches } from './template.js';
import type { BOOT, Trigger } from './transitions.js';
import { failuresChanges, Keys, readFailures } from './user-data.js';

/**
 * Authentication by fingerprint and ECG, and the lockout after repeated failures (docs/band.md,
 * "Authentication"). The failure count lives in flash (a reboot does not clear it, the wipe does); the
 * pending verdict is RAM.
 */
export class Matcher implements Controller {
  private count = 0;
  private verdict?: Timer;

  constructor(private readonly band: Firmware) {}

  /** Consecutive failed authentications since the last success or wipe. */
  get failures(): number {
    return this.count;
  }

  get lockedOut(): boolean {
    return this.count >= Rules.LOCKOUT_AFTER;
  }

  /** At boot: the count the flash holds for the enrolled user (none without a store). */
  load(store?: FlashStore, where = ''): void {
    this.count = store ? readFailures(store, where) : 0;
  }

  /** The verdict is the touch's: a match is decided at 1 s, the ECG at 3 s (pass) or 13 s (no heartbeat). */
  touch(touch: Touch): void {
    const template = this.band.read(Keys.template);
    const matched = !touch.poorQuality && template !== undefined && templateMatches(template, touch.finger);
    this.band.go('BAND_STATE_AUTHENTICATING', 'finger_on');
    if (!matched) {
      this.verdict = this.band.after(Rules.MATCH_MS, () => this.failed('no_match'));
    } else if (touch.liveness) {
      this.verdict = this.band.after(Rules.MATCH_MS + Rules.ECG_PASS_MS, () => this.succeeded());
    } else {
      this.verdict = this.band.after(Rules.MATCH_MS + Rules.ECG_FAIL_MS, () => this.failed('no_ecg'));
    }
  }

  /**
   * Off the wrist: a pending verdict is void, and an authenticated band deauthenticates. False when the
   * band was doing neither.
   */
  removedFromWrist(): boolean {
    if (this.band.state === 'BAND_STATE_AUTHENTICATING') {
      this.band.go('BAND_STATE_AUTHENTICATION_REQUIRED', 'wrist_off');
      return true;
    }
    if (this.band.state !== 'BAND_STATE_AUTHENTICATED') return false;
    this.band.go('BAND_STATE_AUTHENTICATION_REQUIRED', 'wrist_off');
    this.deauthenticated();
    return true;
  }

  /** The wearer is gone: authentication ends, with one vibration when haptic feedback is on. */
  deauthenticated(): void {
    this.result(false, 'AUTHENTICATION_REASON_REMOVED_FROM_WRIST');
    if (this.band.user?.hapticFeedback) this.band.emit({ case: 'vibrated', value: { count: Rules.VIBRATE_DEAUTH } });
  }

  result(authenticated: boolean, reason: AuthenticationReason): void {
    this.band.emit({ case: 'authenticationChanged', value: { authenticated, reason } });
  }

  moved(from: BandState | typeof BOOT, _to: BandState, on: Trigger): void {
    if (from === 'BAND_STATE_AUTHENTICATING') this.cancelVerdict();
    // A new user, or none: the count starts afresh (their commit cleared it in flash).
    if (on === 'complete_enrollment' || on === 'wipe' || on === 'remove_enrollment') this.count = 0;
  }

  reset(): void {
    this.cancelVerdict();
  }

  private succeeded(): void {
    this.verdict = undefined;
    if (this.count > 0) this.band.commit(failuresChanges(0));
    this.count = 0;
    this.band.go('BAND_STATE_AUTHENTICATED', 'matched');
    this.result(true, 'AUTHENTICATION_REASON_MATCHED');
  }

  /** The count reaches flash before the screen says anything, so cutting the power cannot erase a failure. */
  private failed(why: 'no_match' | 'no_ecg'): void {
    this.verdict = undefined;
    const failures = this.count + 1;
    this.band.commit(failuresChanges(failures));
    this.count = failures;
    if (this.lockedOut) {
      this.band.go('BAND_STATE_LOCKED_OUT', 'lockout');
      return this.result(false, 'AUTHENTICATION_REASON_LOCKED_OUT');
    }
    this.band.go('BAND_STATE_AUTHENTICATION_REQUIRED', why, why === 'no_match' ? 'SCREEN_NO_MATCH' : 'SCREEN_NO_ECG');
    this.result(false, why === 'no_match' ? 'AUTHENTICATION_REASON_NO_MATCH' : 'AUTHENTICATION_REASON_NO_ECG');
    this.band.showFor(Rules.RESULT_SCREEN_MS, () =>
      why === 'no_match' && this.count > Rules.CENTER_FINGER_AFTER ? 'SCREEN_CENTER_FINGER' : undefined,
    );
  }

  private cancelVerdict(): void {
    this.verdict?.cancel();
    this.verdict = undefined;
  }
}
