import type { BandState, CompleteEnrollmentRequest, Screen } from '../proto/index.js';
import { localUserName, resolveLabel, userNameProblem } from '../proto/index.js';
import { KeepaliveStatus } from '../transport/index.js';
import { isCancelled, offCancel, onCancel, type DeviceContext } from './band-device.js';
import { BandRefusal } from './band-refusal.js';
import type { Touch } from './body.js';
import type { Timer } from './clock.js';
import type { Controller, Firmware } from './firmware.js';
import { Rules } from './rules.js';
import { newSetupCode, setupCodeMatches } from './setup-code.js';
import { makeTemplate, newTemplateSalt, templateIdOf, templateWithSalt } from './template.js';
import { ENROLLING_STATES } from './transitions.js';
import {
  enrollmentChanges,
  FIDO2_PREFIX,
  labelChanges,
  Keys,
  removeEnrollmentChanges,
  settingsValue,
  type StoredUser,
} from './user-data.js';

/** What the capture pipeline makes of one touch: a good sample, or why it was rejected. */
export type SampleVerdict = 'good' | 'poor-quality' | 'other-finger';

/** How a wait for one sample of a CTAP enrollment ended. */
export type SampleOutcome =
  | { kind: 'sample'; verdict: SampleVerdict; remaining: number }
  /** No touch within the request's timeout: the enrollment ended, nothing stored. */
  | { kind: 'timeout' }
  /** The platform cancelled the request (CTAPHID CANCEL): the enrollment ended, nothing stored. */
  | { kind: 'cancelled' }
  /** The band ended the enrollment: off the wrist, cancel_enrollment, power, or no enrollment in progress. */
  | { kind: 'ended' };

/** Why the band will not begin a CTAP enrollment. */
export interface CtapEnrollRefusal {
  refused: 'full' | 'not-worn' | 'busy';
  detail: string;
}

/** A CTAP enrollment's RAM: the salt that fixes its template ID, and the request waiting for a sample. */
interface CtapCapture {
  salt: Uint8Array;
  templateId: Uint8Array;
  waiting?: { end(outcome: SampleOutcome): void };
}

/**
 * An enrollment, from the setup code to the stored user (docs/band.md, "Enrollment"), and the wearer's
 * settings afterwards. Requests reach it already admitted by request-rules.ts; it refuses only bad arguments.
 * Its RAM (the setup code, wrong tries, the capture) dies when the enrollment ends or the power goes.
 */
export class EnrollmentSession implements Controller {
  private setupCode?: string;
  private wrongCodes = 0;
  private capture?: { finger?: string; good: number; awaitingLift: boolean; ctap?: CtapCapture };

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
      local: false,
    };
    const changes = enrollmentChanges({
      template: makeTemplate(finger, this.band.random),
      userName,
      label: label.label,
      hapticFeedback: request.hapticFeedback,
      seosCredential: seos ? this.band.random.bytes(16) : undefined,
    });
    // FIDO2 credentials and the PIN stay when a local wearer's fingerprint is removed over CTAP (docs/band.md); the
    // next wearer, enrolled without the PIN that guards them, does not inherit them: they go in the same commit.
    if (this.band.read(Keys.removedWearer)) changes.delPrefix = [FIDO2_PREFIX];
    this.band.commit(changes);
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

  /**
   * A touch while CAPTURING: a good one counts, a poor one or another finger is rejected. In a CTAP enrollment a
   * touch is a sample only while a request waits for one (CTAP 2.1 §6.7.4: each request captures one sample).
   */
  touch(touch: Touch): void {
    const capture = this.capture!;
    if (capture.awaitingLift) return;
    capture.awaitingLift = true;
    const waiting = capture.ctap?.waiting;
    if (capture.ctap && !waiting) return this.band.redraw();
    const verdict: SampleVerdict = touch.poorQuality
      ? 'poor-quality'
      : capture.finger !== undefined && capture.finger !== touch.finger
        ? 'other-finger'
        : 'good';
    const rejected = verdict !== 'good';
    if (!rejected) {
      capture.finger ??= touch.finger;
      capture.good++;
    }
    this.band.emit({
      case: 'captureProgress',
      value: { goodTouches: capture.good, touchesRequired: Rules.TOUCHES_REQUIRED, rejected },
    });
    const remaining = Rules.TOUCHES_REQUIRED - capture.good;
    if (capture.ctap && waiting) {
      capture.ctap.waiting = undefined;
      try {
        // The last sample stores the user before the platform hears of it: a power cut in the commit leaves none.
        if (remaining === 0) this.completeOverCtap(capture.ctap, capture.finger!);
        else this.band.redraw();
      } catch (error) {
        waiting.end({ kind: 'ended' });
        throw error;
      }
      return waiting.end({ kind: 'sample', verdict, remaining });
    }
    // CAPTURED keeps the capture (its finger) for complete_enrollment; moved() drops it when enrollment ends.
    if (remaining === 0) return this.band.go('BAND_STATE_CAPTURED', 'capture_complete');
    this.band.redraw();
  }

  // ------------------------------------------------------------------ enrollment over CTAP (docs/band.md)

  /**
   * authenticatorBioEnrollment enrollBegin: on an unenrolled, worn band the capture starts without a setup code
   * (the platform's be token stands for it). A CTAP enrollment already in progress is dropped and begun afresh.
   */
  beginOverCtap(): { templateId: Uint8Array } | CtapEnrollRefusal {
    if (this.band.user)
      return {
        refused: 'full',
        detail: 'the band holds its one fingerprint already; delete user data to enroll another',
      };
    if (this.capture?.ctap && this.band.state === 'BAND_STATE_CAPTURING')
      this.band.go('BAND_STATE_UNENROLLED', 'cancel_enrollment');
    if (this.band.state !== 'BAND_STATE_UNENROLLED')
      return {
        refused: 'busy',
        detail: `the band is in ${this.band.state} (an enrollment with the setup code or a delete prompt); finish or cancel that first`,
      };
    if (!this.band.body.onWrist)
      return { refused: 'not-worn', detail: 'the band must be worn to enroll its wearer; put it on the wrist' };
    const salt = newTemplateSalt(this.band.random);
    const ctap: CtapCapture = { salt, templateId: templateIdOf(salt) };
    this.capture = { good: 0, awaitingLift: this.band.body.touch !== undefined, ctap };
    this.band.go('BAND_STATE_CAPTURING', 'ctap_enroll_begin');
    return { templateId: ctap.templateId };
  }

  /** The template ID of the CTAP enrollment in progress, if one is. */
  get ctapTemplateId(): Uint8Array | undefined {
    return this.band.state === 'BAND_STATE_CAPTURING' ? this.capture?.ctap?.templateId : undefined;
  }

  /**
   * Waits for the next sample of the CTAP enrollment, sending KEEPALIVE(UPNEEDED) meanwhile. A timeout or a
   * cancel ends the enrollment with nothing stored, as taking the band off the wrist does.
   */
  nextSample(ctx: DeviceContext, timeoutMs: number): Promise<SampleOutcome> {
    const ctap = this.ctapTemplateId ? this.capture?.ctap : undefined;
    if (!ctap || ctap.waiting) return Promise.resolve({ kind: 'ended' });
    if (isCancelled(ctx)) {
      this.endCtapEnrollment(ctap);
      return Promise.resolve({ kind: 'cancelled' });
    }
    return new Promise<SampleOutcome>((resolve) => {
      let keepalive: Timer | undefined;
      const beat = () => {
        ctx.keepalive(KeepaliveStatus.UPNEEDED);
        // Whoever hears the keepalive may touch at once: a sample taken meanwhile ends the beat.
        if (ctap.waiting === waiting) keepalive = this.band.after(Rules.KEEPALIVE_MS, beat);
      };
      const timeout = this.band.after(timeoutMs, () => end({ kind: 'timeout' }));
      const onAbort = { handleEvent: () => end({ kind: 'cancelled' }) };
      const waiting = {
        end: (outcome: SampleOutcome) => {
          keepalive?.cancel();
          timeout.cancel();
          offCancel(ctx, onAbort);
          resolve(outcome);
        },
      };
      const end = (outcome: SampleOutcome) => {
        if (ctap.waiting !== waiting) return;
        ctap.waiting = undefined;
        this.endCtapEnrollment(ctap);
        waiting.end(outcome);
      };
      ctap.waiting = waiting;
      onCancel(ctx, onAbort);
      this.band.redraw();
      beat();
    });
  }

  /** authenticatorBioEnrollment cancelCurrentEnrollment: false when no CTAP enrollment is in progress. */
  cancelOverCtap(): boolean {
    const ctap = this.ctapTemplateId ? this.capture?.ctap : undefined;
    if (!ctap) return false;
    this.band.go('BAND_STATE_UNENROLLED', 'cancel_enrollment');
    return true;
  }

  /**
   * authenticatorBioEnrollment removeEnrollment: only a local user's template goes this way (one commit; the FIDO2
   * state stays). A directory user's goes only with delete user data, done on the band.
   */
  removeOverCtap(): { removed: true } | { removed: false; detail: string } {
    const user = this.band.user;
    if (!user) throw new Error('the authenticator removed a template on a band without a user');
    if (!user.local)
      return {
        removed: false,
        detail:
          "the wearer was enrolled with the band's setup code for a directory user; their fingerprint goes only with " +
          'delete user data, done on the band (off the wrist, on the charger, bottom button held 10 s)',
      };
    if (this.band.state === 'BAND_STATE_DELETE_PROMPT')
      return { removed: false, detail: 'the band shows its delete prompt; cancel it first' };
    this.band.commit(removeEnrollmentChanges());
    this.band.user = undefined;
    this.band.go('BAND_STATE_UNENROLLED', 'remove_enrollment');
    return { removed: true };
  }

  /** Stores the local user in one commit; the wearer then authenticates as usual (match and ECG). */
  private completeOverCtap(ctap: CtapCapture, finger: string): void {
    const userName = localUserName(ctap.templateId);
    const label = resolveLabel('', userName);
    if (!label.ok) throw new Error(`the local user name ${userName} has no default label: ${label.problem}`);
    this.band.commit(
      enrollmentChanges({
        template: templateWithSalt(finger, ctap.salt),
        userName,
        label: label.label,
        hapticFeedback: true,
        local: true,
      }),
    );
    this.band.user = { userName, label: label.label, hapticFeedback: true, seosProvisioned: false, local: true };
    this.band.go('BAND_STATE_AUTHENTICATION_REQUIRED', 'complete_enrollment', 'SCREEN_SUCCESS');
    this.band.showFor(Rules.RESULT_SCREEN_MS, () => undefined);
    this.band.emit({ case: 'vibrated', value: { count: Rules.VIBRATE_CONFIRM } });
  }

  /** Ends the CTAP enrollment `ctap` if it is still the one in progress. */
  private endCtapEnrollment(ctap: CtapCapture): void {
    if (this.capture?.ctap === ctap && this.band.state === 'BAND_STATE_CAPTURING')
      this.band.go('BAND_STATE_UNENROLLED', 'cancel_enrollment');
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
    if (!ENROLLING_STATES.includes(to)) this.dropCapture();
    if (to !== 'BAND_STATE_AWAITING_SETUP_CODE') this.wrongCodes = 0;
  }

  reset(): void {
    this.setupCode = undefined;
    this.wrongCodes = 0;
    this.dropCapture();
  }

  /** The capture ends; a CTAP request waiting for a sample hears that the enrollment ended. */
  private dropCapture(): void {
    const waiting = this.capture?.ctap?.waiting;
    this.capture = undefined;
    waiting?.end({ kind: 'ended' });
  }

  private enrolledUser(): StoredUser {
    if (!this.band.user) throw new Error('the request rules admitted a settings change on a band without a user');
    return this.band.user;
  }

  private refuse(code: BandRefusal['code'], message: string): never {
    throw new BandRefusal(code, message, this.band.state);
  }
}
