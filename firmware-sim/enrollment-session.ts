import type { BandState, CompleteEnrollmentRequest, Screen } from '../proto/index.js';
import { resolveLabel, userNameProblem } from '../proto/index.js';
import { BandRefusal } from './band-refusal.js';
import type { Touch } from './body.js';
import type { Controller, Firmware } from './firmware.js';
import { Rules } from './rules.js';
import { newSetupCode, setupCodeMatches } from './setup-code.js';
import { makeTemplate } from './template.js';
import { ENROLLING_STATES } from './transitions.js';
import { enrollmentChanges, labelChanges, Keys, settingsValue, type StoredUser } from './user-data.js';

/**
 * An enrollment, from the setup code to the stored user (docs/band.md, "Enrollment"), and the wearer's
 * settings afterwards. Requests reach it already admitted by request-rules.ts; it refuses only bad arguments.
 * Its RAM (the setup code, wrong tries, the capture) dies when the enrollment ends or the power goes.
 */
export class EnrollmentSession implements Controller {
  private setupCode?: string;
  private wrongCodes = 0;
  private capture?: { finger?: string; good: number; awaitingLift: boolean };

  constructor(private readonly band: Firmware) {}

  /** Draws a fresh setup code (the band must be worn: request-rules.ts). The device ID is the kernel's to add. */
  start(): { setupCodeLength: number } {
    this.setupCode = undefined;
    this.wrongCodes = 0;
    this.band.go('BAND_STATE_AWAITING_SETUP_CODE', 'start_enrollment');
    return { setupCodeLength: Rules.SETUP_CODE_LENGTH };
  }

  verifySetupCode(typed: string): void {
    if (Buffer.byteLength(typed) > Rules.MAX_SETUP_CODE_BYTES) {
      this.refuse(
        'ERROR_CODE_INVALID_ARGUMENT',
        `expected the ${Rules.SETUP_CODE_LENGTH}-character setup code, got ${Buffer.byteLength(typed)} bytes; type the code the band shows`,
      );
    }
    if (this.setupCode && setupCodeMatches(this.setupCode, typed)) {
      this.band.go('BAND_STATE_ADD_USER', 'verify_setup_code');
      return;
    }
    this.wrongCodes++;
    if (this.wrongCodes >= Rules.SETUP_CODE_TRIES) {
      this.wrongCodes = 0;
      this.setupCode = undefined;
      this.band.redraw();
      this.refuse(
        'ERROR_CODE_SETUP_CODE_MISMATCH',
        `the setup code does not match (${Rules.SETUP_CODE_TRIES} wrong); the band now shows a new code: type that one`,
      );
    }
    const left = Rules.SETUP_CODE_TRIES - this.wrongCodes;
    this.refuse(
      'ERROR_CODE_SETUP_CODE_MISMATCH',
      `the setup code does not match; check the code on the band and type it again (${left} ${left === 1 ? 'try' : 'tries'} before a new code)`,
    );
  }

  startCapture(): { touchesRequired: number } {
    this.capture = { good: 0, awaitingLift: this.band.body.touch !== undefined };
    this.band.go('BAND_STATE_CAPTURING', 'start_capture');
    return { touchesRequired: Rules.TOUCHES_REQUIRED };
  }

  complete(request: CompleteEnrollmentRequest): { label: string } {
    const userName = request.userName;
    const nameProblem = userNameProblem(userName);
    if (nameProblem)
      this.refuse('ERROR_CODE_INVALID_ARGUMENT', `invalid user name: ${nameProblem}; send the directory user name`);
    const label = resolveLabel(request.label, userName);
    if (!label.ok)
      this.refuse('ERROR_CODE_INVALID_ARGUMENT', `invalid label: ${label.problem}; send another or leave it empty`);
    const finger = this.capture?.finger;
    if (!finger) throw new Error('the capture finished without a finger');
    const seos = this.band.config.seos;
    const user: StoredUser = {
      userName,
      label: label.label,
      hapticFeedback: request.hapticFeedback,
      seosProvisioned: seos,
    };
    this.band.commit(
      enrollmentChanges({
        template: makeTemplate(finger, this.band.random),
        userName,
        label: label.label,
        hapticFeedback: request.hapticFeedback,
        seosCredential: seos ? this.band.random.bytes(16) : undefined,
      }),
    );
    this.band.user = user;
    this.capture = undefined;
    this.band.go('BAND_STATE_AUTHENTICATED', 'complete_enrollment');
    this.band.emit({
      case: 'authenticationChanged',
      value: { authenticated: true, reason: 'AUTHENTICATION_REASON_ENROLLED' },
    });
    this.band.emit({ case: 'vibrated', value: { count: Rules.VIBRATE_CONFIRM } });
    return { label: label.label };
  }

  cancel(): void {
    this.band.go('BAND_STATE_UNENROLLED', 'cancel_enrollment');
  }

  setLabel(requested: string): { label: string } {
    const user = this.enrolledUser();
    const label = resolveLabel(requested, user.userName);
    if (!label.ok)
      this.refuse('ERROR_CODE_INVALID_ARGUMENT', `invalid label: ${label.problem}; send another or leave it empty`);
    this.band.commit(labelChanges(label.label));
    this.band.user = { ...user, label: label.label };
    return { label: label.label };
  }

  setSettings(request: { hapticFeedback: boolean }): void {
    const user = this.enrolledUser();
    this.band.commit({ put: { [Keys.settings]: settingsValue(request.hapticFeedback) } });
    this.band.user = { ...user, hapticFeedback: request.hapticFeedback };
  }

  // ------------------------------------------------------------------ the body and the display

  /** A touch while CAPTURING: a good one counts, a poor one or another finger is rejected. */
  touch(touch: Touch): void {
    const capture = this.capture!;
    if (capture.awaitingLift) return;
    capture.awaitingLift = true;
    const rejected = touch.poorQuality || (capture.finger !== undefined && capture.finger !== touch.finger);
    if (!rejected) {
      capture.finger ??= touch.finger;
      capture.good++;
    }
    this.band.emit({
      case: 'captureProgress',
      value: { goodTouches: capture.good, touchesRequired: Rules.TOUCHES_REQUIRED, rejected },
    });
    // CAPTURED keeps the capture (its finger) for complete_enrollment; moved() drops it when enrollment ends.
    if (capture.good >= Rules.TOUCHES_REQUIRED) return this.band.go('BAND_STATE_CAPTURED', 'capture_complete');
    this.band.redraw();
  }

  /** Off the wrist: an enrollment in progress ends with nothing stored. False when none was. */
  removedFromWrist(): boolean {
    if (!ENROLLING_STATES.includes(this.band.state)) return false;
    this.band.go('BAND_STATE_UNENROLLED', 'wrist_off');
    return true;
  }

  lift(): void {
    if (this.capture?.awaitingLift) {
      this.capture.awaitingLift = false;
      this.band.redraw();
    }
  }

  /** The capture prompt CAPTURING shows: LIFT FINGER after a touch, TOUCH SENSOR after a lift. */
  get capturePrompt(): Screen {
    return this.capture?.awaitingLift ? 'SCREEN_LIFT_FINGER' : 'SCREEN_TOUCH_SENSOR';
  }

  /**
   * The setup code the display shows: drawn from the random source whenever the setup-code screen appears
   * without one, forgotten whenever another screen replaces it (so a code glimpsed earlier is worthless).
   */
  setupCodeFor(screen: Screen): string | undefined {
    if (screen === 'SCREEN_SETUP_CODE') this.setupCode ??= newSetupCode(this.band.random);
    else this.setupCode = undefined;
    return this.setupCode;
  }

  /** The setup code on the display, if it shows one. */
  get shownSetupCode(): string | undefined {
    return this.setupCode;
  }

  moved(_from: unknown, to: BandState): void {
    if (!ENROLLING_STATES.includes(to)) this.capture = undefined;
    if (to !== 'BAND_STATE_AWAITING_SETUP_CODE') this.wrongCodes = 0;
  }

  reset(): void {
    this.setupCode = undefined;
    this.wrongCodes = 0;
    this.capture = undefined;
  }

  private enrolledUser(): StoredUser {
    if (!this.band.user) throw new Error('the request rules admitted a settings change on a band without a user');
    return this.band.user;
  }

  private refuse(code: BandRefusal['code'], message: string): never {
    throw new BandRefusal(code, message, this.band.state);
  }
}
