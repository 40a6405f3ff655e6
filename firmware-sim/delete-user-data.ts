import type { BandState, DeleteUserDataResponse } from '../proto/index.js';
import type { Timer } from './clock.js';
import type { Controller, Firmware } from './firmware.js';
import { Rules } from './rules.js';
import type { BOOT, Trigger } from './transitions.js';
import { wipeChanges } from './user-data.js';

/**
 * Delete user data (docs/band.md, "Delete user data"): the host's prompt (DELETE_PROMPT, which may keep an
 * authentication to return to), and the wipe itself, done by the wearer alone: off the wrist, on the
 * charger, the bottom button held 10 s. Anything else stops the hold.
 */
export class DeleteUserData implements Controller {
  /** Authentication carried through the prompt, lost when the band leaves the wrist. */
  private keptAuth = false;
  private hold?: Timer;
  /** One wipe per hold: the button must come up before the next. */
  private latched = false;

  constructor(
    private readonly band: Firmware,
    /** Told the wearer is gone (its deauthentication event and vibration). */
    private readonly matcher: { deauthenticated(): void },
  ) {}

  request(): DeleteUserDataResponse {
    const { body } = this.band;
    if (this.band.state !== 'BAND_STATE_DELETE_PROMPT') {
      this.keptAuth = this.band.state === 'BAND_STATE_AUTHENTICATED';
      this.band.go('BAND_STATE_DELETE_PROMPT', 'delete_user_data');
    }
    return {
      removeFromWrist: body.onWrist,
      placeOnCharger: !body.onCharger,
      holdBottomButtonMs: Rules.WIPE_HOLD_MS,
    };
  }

  cancel(): void {
    const back = this.band.restingState(this.keptAuth && this.band.body.onWrist);
    this.keptAuth = false;
    this.band.go(back, 'cancel_delete_user_data');
  }

  /** Off the wrist in DELETE_PROMPT: an authentication kept through the prompt ends here. False elsewhere. */
  removedFromWrist(): boolean {
    if (this.band.state !== 'BAND_STATE_DELETE_PROMPT') return false;
    if (this.keptAuth) {
      this.keptAuth = false;
      this.matcher.deauthenticated();
    }
    this.band.redraw();
    return true;
  }

  /** After every change of the body: starts or stops the 10 s hold. */
  update(): void {
    const { body } = this.band;
    const down = body.isDown('bottom');
    if (!down) this.latched = false;
    const ready =
      this.band.isPowered && !this.band.storageFault && down && !this.latched && !body.onWrist && body.onCharger;
    if (ready && !this.hold) {
      this.hold = this.band.after(Rules.WIPE_HOLD_MS, () => this.wipe());
    } else if (!ready && this.hold) {
      this.hold.cancel();
      this.hold = undefined;
    }
  }

  moved(_from: BandState | typeof BOOT, _to: BandState, on: Trigger): void {
    if (on === 'wipe') this.keptAuth = false;
  }

  reset(): void {
    this.hold?.cancel();
    this.hold = undefined;
    this.keptAuth = false;
  }

  private wipe(): void {
    this.hold = undefined;
    this.latched = true;
    this.band.commit(wipeChanges());
    this.band.user = undefined;
    this.band.go('BAND_STATE_UNENROLLED', 'wipe', 'SCREEN_USER_DATA_DELETED');
    this.band.emit({ case: 'vibrated', value: { count: Rules.VIBRATE_CONFIRM } });
    this.band.emit({ case: 'userDataDeleted', value: {} });
    this.band.emit({
      case: 'authenticationChanged',
      value: { authenticated: false, reason: 'AUTHENTICATION_REASON_USER_DATA_DELETED' },
    });
    this.band.showFor(Rules.WIPED_SCREEN_MS, () => undefined);
  }
}
