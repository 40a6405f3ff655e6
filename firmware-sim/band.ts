import type {
  AuthenticationReason,
  BandState,
  CompleteEnrollmentRequest,
  DeleteUserDataResponse,
  ErrorCode,
  Event,
  FidoCredential,
  GetStateResponse,
  Screen,
  ScreenReading,
} from '../proto/index.js';
import { resolveLabel, userNameProblem } from '../proto/index.js';
import { BandRefusal } from './band-refusal.js';
import { Battery } from './battery.js';
import type { Body, BodyChange, Touch } from './body.js';
import type { Clock, Timer } from './clock.js';
import type { DeviceContext } from './device.js';
import type { FlashChip } from './flash-chip.js';
import { FlashCorruptError, FlashIoError, PowerCutError } from './flash-errors.js';
import type { FlashStore } from './flash-store.js';
import { Flash, type FlashOptions } from './flash.js';
import { DeterministicRandom, type RandomSource } from './random.js';
import { Rules } from './rules.js';
import { newSetupCode, setupCodeMatches } from './setup-code.js';
import { makeTemplate, templateMatches } from './template.js';
import { BOOT, isTransition, refusalFor, type RequestName, type Trigger } from './transitions.js';
import {
  Keys,
  enrollmentChanges,
  failuresChanges,
  labelChanges,
  readFailures,
  readUser,
  settingsValue,
  wipeChanges,
  type StoredUser,
} from './user-data.js';
import type { World } from './world.js';

export type BandEvent = NonNullable<Event['kind']>;

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

/** What a FIDO2 user-presence request is for: the authenticator's purpose and relying party. */
export interface PresenceRequest {
  purpose: string;
  rpId?: string;
}

/** Why a presence wait ended without the user: the authenticator maps this name to its timeout status. */
class PresenceTimeout extends Error {
  override readonly name = 'TimeoutError';
}

const ENROLLING: readonly BandState[] = [
  'BAND_STATE_AWAITING_SETUP_CODE',
  'BAND_STATE_ADD_USER',
  'BAND_STATE_CAPTURING',
  'BAND_STATE_CAPTURED',
];

/**
 * The band's firmware: its state machine, its display, its reactions to the body and to host requests.
 * Everything in RAM here is lost on reboot; what must survive is committed to flash first. Host requests
 * throw BandRefusal for a refusal; storage trouble inside them is `fail()`ed by the caller.
 */
export class Band {
  random: RandomSource;
  private readonly clock: Clock;
  private readonly body: Body;
  private readonly chip: FlashChip;
  private readonly battery: Battery;
  private readonly listeners = new Set<(event: BandEvent) => void>();
  private readonly offBody: () => void;

  // RAM: everything below is rebuilt by boot().
  private powered = false;
  private epochNow = 0;
  private flash?: Flash;
  private fault?: Error;
  private deviceIdBytes: Uint8Array = new Uint8Array(0);
  private stateNow: BandState = 'BAND_STATE_UNSPECIFIED';
  private user?: StoredUser;
  private failures = 0;
  private overlay?: Screen;
  private drawn = '';
  private screenNow: Screen = 'SCREEN_BLANK';
  private setupCode?: string;
  private wrongCodes = 0;
  private capture?: { finger?: string; good: number; awaitingLift: boolean };
  /** Authentication carried through a delete prompt, lost when the band leaves the wrist. */
  private keptAuth = false;
  private readonly timers = new Set<Timer>();
  private authTimer?: Timer;
  private overlayTimer?: Timer;
  private wipeTimer?: Timer;
  private wipeLatched = false;
  private presence?: { end(result: boolean | Error): void; what: PresenceRequest };
  /** Unexpected errors in timers and sensor reactions reset the band, as a watchdog would. */
  watchdogResets = 0;
  lastFault?: Error;

  constructor(
    world: World,
    readonly config: BandConfig,
    private readonly hooks: BandHooks = {},
  ) {
    this.clock = world.clock;
    this.body = world.body;
    this.chip = world.storage;
    this.random = world.random;
    this.battery = new Battery(config.batteryPercent ?? 100, this.clock.now());
    this.battery.setCharging(this.body.onCharger, this.clock.now());
    this.offBody = this.body.onChange((change) => this.sense(change));
    this.boot();
  }

  // ------------------------------------------------------------------ what the outside sees

  onEvent(listener: (event: BandEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get isPowered(): boolean {
    return this.powered;
  }
  /** Changes at every boot: a request that spans a reboot died with the old power. */
  get epoch(): number {
    return this.epochNow;
  }
  get state(): BandState {
    return this.stateNow;
  }
  get screen(): Screen {
    return this.screenNow;
  }
  get storageFault(): Error | undefined {
    return this.fault;
  }
  get enrolled(): boolean {
    return this.user !== undefined;
  }
  get deviceId(): Uint8Array {
    return new Uint8Array(this.deviceIdBytes);
  }
  /** The store the CTAP2 authenticator uses: always the current boot's flash. */
  get store(): FlashStore {
    const current = () => {
      if (!this.powered) throw new PowerCutError(0, 'off');
      if (this.fault || !this.flash) throw this.fault ?? new FlashIoError('the flash is not open');
      return this.flash;
    };
    return {
      get: (key) => current().get(key),
      keys: (prefix) => current().keys(prefix),
      commit: (changes) => current().commit(changes),
    };
  }
  /** True while the band is worn and authenticated: the CTAP2 authenticator's built-in user verification. */
  get userVerified(): boolean {
    return this.powered && this.stateNow === 'BAND_STATE_AUTHENTICATED' && this.body.onWrist;
  }

  /** What the wearer's eyes see (the debug link's ReadScreen); the setup code only while it is displayed. */
  readScreen(): ScreenReading {
    return {
      screen: this.powered ? this.screenNow : 'SCREEN_BLANK',
      state: this.powered ? this.stateNow : 'BAND_STATE_UNSPECIFIED',
      setupCode: this.powered && this.screenNow === 'SCREEN_SETUP_CODE' ? (this.setupCode ?? '') : '',
      label: this.powered ? (this.user?.label ?? '') : '',
      onWrist: this.body.onWrist,
      onCharger: this.body.onCharger,
      powered: this.powered,
      storageWrites: this.chip.writesSinceBoot,
      // What the CONFIRM screen asks the wearer to confirm.
      confirmPurpose: this.powered && this.screenNow === 'SCREEN_CONFIRM' ? (this.presence?.what.purpose ?? '') : '',
      confirmRpId: this.powered && this.screenNow === 'SCREEN_CONFIRM' ? (this.presence?.what.rpId ?? '') : '',
    };
  }

  /** Power-cycle: RAM is lost, flash is read back, the body is sensed afresh. */
  reboot(): void {
    this.die();
    this.boot();
  }

  reseed(seed: Uint8Array): void {
    this.random = new DeterministicRandom(seed);
  }

  /** Detaches from the body and stops every timer (the band is put away for good). */
  shutdown(): void {
    this.die();
    this.offBody();
  }

  /**
   * A storage failure inside a request: a power cut leaves the band dead, a damaged or unreadable image
   * leaves it answering ERROR_CODE_STORAGE. Returns false for errors that are not storage failures.
   */
  fail(error: unknown): boolean {
    if (error instanceof PowerCutError) {
      this.die();
      return true;
    }
    if (error instanceof FlashCorruptError || error instanceof FlashIoError) {
      this.enterFault(error);
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ host requests

  /** Throws the table's refusal for `request` in the current state. */
  check(request: RequestName, hint: (code: ErrorCode) => string): void {
    const code = refusalFor(request, this.stateNow);
    if (code)
      throw new BandRefusal(code, `${snakeCase(request)} is refused in ${this.stateNow}: ${hint(code)}`, this.stateNow);
  }

  refuse(code: ErrorCode, message: string): never {
    throw new BandRefusal(code, message, this.stateNow);
  }

  getState(): GetStateResponse {
    return {
      state: this.stateNow,
      screen: this.screenNow,
      onWrist: this.body.onWrist,
      onCharger: this.body.onCharger,
      enrolled: this.user !== undefined,
      userName: this.user?.userName ?? '',
      label: this.user?.label ?? '',
      hapticFeedback: this.user?.hapticFeedback ?? false,
      failedMatches: this.failures,
      fidoCredentialCount: this.hooks.fidoCredentialCount?.(this.store) ?? 0,
      batteryPercent: this.battery.percent(this.clock.now()),
    };
  }

  fidoCredentials(): FidoCredential[] | undefined {
    return this.hooks.fidoCredentials?.(this.store);
  }

  get seosProvisioned(): boolean {
    return this.user?.seosProvisioned ?? false;
  }

  requestDeleteUserData(): DeleteUserDataResponse {
    this.check('deleteUserData', () => 'cancel the enrollment first');
    if (this.stateNow !== 'BAND_STATE_DELETE_PROMPT') {
      this.keptAuth = this.stateNow === 'BAND_STATE_AUTHENTICATED';
      this.go('BAND_STATE_DELETE_PROMPT', 'delete_user_data');
    }
    return {
      removeFromWrist: this.body.onWrist,
      placeOnCharger: !this.body.onCharger,
      holdBottomButtonMs: Rules.WIPE_HOLD_MS,
    };
  }

  cancelDeleteUserData(): void {
    this.check('cancelDeleteUserData', () => 'no delete prompt is showing');
    const back = this.restingState(this.keptAuth && this.body.onWrist);
    this.keptAuth = false;
    this.go(back, 'cancel_delete_user_data');
  }

  startEnrollment(): { deviceId: Uint8Array; setupCodeLength: number } {
    this.check('startEnrollment', (code) =>
      code === 'ERROR_CODE_USER_DATA_PRESENT'
        ? 'delete user data on the band first (off the wrist, on the charger, hold the bottom button 10 s)'
        : code === 'ERROR_CODE_LOCKED_OUT'
          ? 'the band is locked out; delete user data on the band to clear it'
          : 'cancel what the band is doing first',
    );
    if (!this.body.onWrist) {
      this.refuse(
        'ERROR_CODE_WRONG_STATE',
        `start_enrollment needs the band on the wrist; ${this.stateNow} off the wrist. Put the band on`,
      );
    }
    this.setupCode = undefined;
    this.wrongCodes = 0;
    this.go('BAND_STATE_AWAITING_SETUP_CODE', 'start_enrollment');
    return { deviceId: this.deviceId, setupCodeLength: Rules.SETUP_CODE_LENGTH };
  }

  verifySetupCode(typed: string): void {
    this.check('verifySetupCode', () => 'call start_enrollment first');
    if (Buffer.byteLength(typed) > Rules.MAX_SETUP_CODE_BYTES) {
      this.refuse(
        'ERROR_CODE_INVALID_ARGUMENT',
        `expected the ${Rules.SETUP_CODE_LENGTH}-character setup code, got ${Buffer.byteLength(typed)} bytes; type the code the band shows`,
      );
    }
    if (this.setupCode && setupCodeMatches(this.setupCode, typed)) {
      this.go('BAND_STATE_ADD_USER', 'verify_setup_code');
      return;
    }
    this.wrongCodes++;
    if (this.wrongCodes >= Rules.SETUP_CODE_TRIES) {
      this.wrongCodes = 0;
      this.setupCode = undefined;
      this.redraw();
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
    this.check('startCapture', () => 'verify the setup code first');
    this.capture = { good: 0, awaitingLift: this.body.touch !== undefined };
    this.go('BAND_STATE_CAPTURING', 'start_capture');
    return { touchesRequired: Rules.TOUCHES_REQUIRED };
  }

  completeEnrollment(request: CompleteEnrollmentRequest): { label: string } {
    this.check('completeEnrollment', () => 'finish the fingerprint capture (SUCCESS on the band) first');
    const userName = request.userName;
    const nameProblem = userNameProblem(userName);
    if (nameProblem)
      this.refuse('ERROR_CODE_INVALID_ARGUMENT', `invalid user name: ${nameProblem}; send the directory user name`);
    const label = resolveLabel(request.label, userName);
    if (!label.ok)
      this.refuse('ERROR_CODE_INVALID_ARGUMENT', `invalid label: ${label.problem}; send another or leave it empty`);
    const finger = this.capture?.finger;
    if (!finger) throw new Error('the capture finished without a finger');
    const user: StoredUser = {
      userName,
      label: label.label,
      hapticFeedback: request.hapticFeedback,
      seosProvisioned: this.config.seos,
    };
    this.commit(
      enrollmentChanges({
        template: makeTemplate(finger, this.random),
        userName,
        label: label.label,
        hapticFeedback: request.hapticFeedback,
        seosCredential: this.config.seos ? this.random.bytes(16) : undefined,
      }),
    );
    this.user = user;
    this.failures = 0;
    this.capture = undefined;
    this.go('BAND_STATE_AUTHENTICATED', 'complete_enrollment');
    this.emit({
      case: 'authenticationChanged',
      value: { authenticated: true, reason: 'AUTHENTICATION_REASON_ENROLLED' },
    });
    this.emit({ case: 'vibrated', value: { count: Rules.VIBRATE_CONFIRM } });
    return { label: label.label };
  }

  cancelEnrollment(): void {
    this.check('cancelEnrollment', () => 'no enrollment is in progress');
    this.go('BAND_STATE_UNENROLLED', 'cancel_enrollment');
  }

  setLabel(requested: string): { label: string } {
    this.check('setLabel', authHint);
    const label = resolveLabel(requested, this.user!.userName);
    if (!label.ok)
      this.refuse('ERROR_CODE_INVALID_ARGUMENT', `invalid label: ${label.problem}; send another or leave it empty`);
    this.commit(labelChanges(label.label));
    this.user = { ...this.user!, label: label.label };
    return { label: label.label };
  }

  setSettings(request: { hapticFeedback: boolean }): void {
    this.check('setSettings', authHint);
    this.commit({ put: { [Keys.settings]: settingsValue(request.hapticFeedback) } });
    this.user = { ...this.user!, hapticFeedback: request.hapticFeedback };
  }

  /**
   * FIDO2 user presence. Auto-presence answers at once; otherwise a worn, authenticated band shows
   * CONFIRM and waits for the top button, sending KEEPALIVE(UPNEEDED) meanwhile. False when the band is
   * not worn and authenticated, when it leaves that state, or when the host cancels; a TimeoutError after
   * 30 s of band time. `what` is shown on the CONFIRM screen (the debug link's ReadScreen reports it).
   */
  userPresence(ctx: DeviceContext, what: PresenceRequest = { purpose: '' }): Promise<boolean> {
    if (this.config.autoPresence) return Promise.resolve(true);
    if (!this.userVerified || this.presence || ctx.signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      let keepalive: Timer | undefined;
      const beat = () => {
        ctx.keepalive(2);
        keepalive = this.after(Rules.KEEPALIVE_MS, beat);
      };
      const timeout = this.after(Rules.PRESENCE_TIMEOUT_MS, () =>
        end(new PresenceTimeout(`no top-button press within ${Rules.PRESENCE_TIMEOUT_MS} ms`)),
      );
      const onAbort = () => end(false);
      const end = (result: boolean | Error) => {
        if (this.presence !== waiting) return;
        this.presence = undefined;
        keepalive?.cancel();
        timeout.cancel();
        ctx.signal.removeEventListener('abort', onAbort);
        if (this.overlay === 'SCREEN_CONFIRM') {
          this.overlay = undefined;
          if (this.powered) this.redraw();
        }
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const waiting = { end, what: { purpose: what.purpose, rpId: what.rpId?.slice(0, 128) } };
      this.presence = waiting;
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      this.overlay = 'SCREEN_CONFIRM';
      this.redraw();
      beat();
    });
  }

  // ------------------------------------------------------------------ power

  private boot(): void {
    this.epochNow++;
    this.chip.powerOn();
    this.powered = true;
    this.fault = undefined;
    this.flash = undefined;
    this.user = undefined;
    this.failures = 0;
    this.deviceIdBytes = new Uint8Array(0);
    this.drawn = '';
    try {
      this.flash = Flash.open(this.chip, this.config.flash);
      let id = this.flash.get(Keys.deviceId);
      if (!id) {
        // The first power-on of a new band gives it its identity, for good.
        id = this.random.bytes(16);
        this.flash.commit({ put: { [Keys.deviceId]: id } });
      }
      if (id.length !== 16)
        throw new FlashCorruptError(this.flash.location, `${Keys.deviceId} has ${id.length} bytes, expected 16`);
      this.deviceIdBytes = id;
      this.user = readUser(this.flash, this.flash.location);
      this.failures = this.user ? readFailures(this.flash, this.flash.location) : 0;
    } catch (error) {
      // Whatever stops the boot, the band stays up to say so (STORAGE) rather than reset in a loop.
      if (!this.fail(error)) this.enterFault(error as Error);
      if (!this.powered) return;
    }
    if (this.fault) return this.redraw();
    this.stateNow = 'BAND_STATE_UNSPECIFIED';
    this.goFrom(BOOT, this.restingState(false), 'boot');
    this.hooks.powerUp?.();
    this.updateWipeHold();
  }

  private die(): void {
    this.powered = false;
    this.chip.powerOff();
    this.clearRam();
  }

  private enterFault(error: Error): void {
    this.fault = error;
    this.clearRam();
    this.stateNow = 'BAND_STATE_UNSPECIFIED';
    this.redraw();
  }

  private clearRam(): void {
    for (const timer of [...this.timers]) timer.cancel();
    this.timers.clear();
    this.authTimer = this.overlayTimer = this.wipeTimer = undefined;
    this.presence?.end(false);
    this.presence = undefined;
    this.overlay = undefined;
    this.setupCode = undefined;
    this.wrongCodes = 0;
    this.capture = undefined;
    this.keptAuth = false;
  }

  private restingState(authenticated: boolean): BandState {
    if (!this.user) return 'BAND_STATE_UNENROLLED';
    if (this.failures >= Rules.LOCKOUT_AFTER) return 'BAND_STATE_LOCKED_OUT';
    return authenticated ? 'BAND_STATE_AUTHENTICATED' : 'BAND_STATE_AUTHENTICATION_REQUIRED';
  }

  private commit(changes: Parameters<FlashStore['commit']>[0]): void {
    if (!this.flash) throw this.fault ?? new FlashIoError('the flash is not open');
    this.flash.commit(changes);
  }

  // ------------------------------------------------------------------ the state machine

  private go(to: BandState, on: Trigger, overlay?: Screen): void {
    this.goFrom(this.stateNow, to, on, overlay);
  }

  private goFrom(from: BandState | typeof BOOT, to: BandState, on: Trigger, overlay?: Screen): void {
    if (!isTransition(from, to, on)) {
      throw new Error(`the firmware tried ${from} -> ${to} on ${on}, which is not in transitions.ts`);
    }
    this.overlayTimer?.cancel();
    this.overlayTimer = undefined;
    this.overlay = overlay;
    if (from === 'BAND_STATE_AUTHENTICATING') {
      this.authTimer?.cancel();
      this.authTimer = undefined;
    }
    if (from === 'BAND_STATE_AUTHENTICATED' && to !== 'BAND_STATE_AUTHENTICATED') this.presence?.end(false);
    if (!ENROLLING.includes(to)) this.capture = undefined;
    if (to !== 'BAND_STATE_AWAITING_SETUP_CODE') this.wrongCodes = 0;
    this.stateNow = to;
    this.redraw();
  }

  private baseScreen(): Screen {
    switch (this.stateNow) {
      case 'BAND_STATE_UNENROLLED':
        return this.body.onWrist ? 'SCREEN_SETUP_CODE' : 'SCREEN_NO_USER';
      case 'BAND_STATE_AWAITING_SETUP_CODE':
        return 'SCREEN_SETUP_CODE';
      case 'BAND_STATE_ADD_USER':
        return 'SCREEN_ADD_USER';
      case 'BAND_STATE_CAPTURING':
        return this.capture?.awaitingLift ? 'SCREEN_LIFT_FINGER' : 'SCREEN_TOUCH_SENSOR';
      case 'BAND_STATE_CAPTURED':
        return 'SCREEN_SUCCESS';
      case 'BAND_STATE_AUTHENTICATION_REQUIRED':
        // Off the wrist an enrolled band sleeps; putting it on wakes the prompt.
        return this.body.onWrist ? 'SCREEN_AUTHENTICATION_REQUIRED' : 'SCREEN_BLANK';
      case 'BAND_STATE_AUTHENTICATING':
        return 'SCREEN_AUTHENTICATION_IN_PROGRESS';
      case 'BAND_STATE_AUTHENTICATED':
        return 'SCREEN_AUTHENTICATED';
      case 'BAND_STATE_LOCKED_OUT':
        return 'SCREEN_LOCKED_OUT';
      case 'BAND_STATE_DELETE_PROMPT':
        return 'SCREEN_DELETE_USER_DATA';
      default:
        return 'SCREEN_BLANK';
    }
  }

  /**
   * Draws the display and reports it when it changed: a new screen, a new state, or a new setup code.
   * A setup code is drawn from the random source whenever the setup-code screen appears without one.
   */
  private redraw(): void {
    const screen = this.fault ? 'SCREEN_BLANK' : (this.overlay ?? this.baseScreen());
    if (screen === 'SCREEN_SETUP_CODE') this.setupCode ??= newSetupCode(this.random);
    else this.setupCode = undefined;
    const drawn = `${screen}|${this.stateNow}|${screen === 'SCREEN_SETUP_CODE' ? this.setupCode : ''}`;
    this.screenNow = screen;
    if (drawn === this.drawn) return;
    this.drawn = drawn;
    this.emit({ case: 'screenChanged', value: { screen, state: this.stateNow } });
  }

  private showFor(ms: number, then: () => Screen | undefined): void {
    this.overlayTimer?.cancel();
    this.overlayTimer = this.after(ms, () => {
      this.overlayTimer = undefined;
      this.overlay = then();
      this.redraw();
    });
  }

  // ------------------------------------------------------------------ the body

  private sense(change: BodyChange): void {
    if (!this.powered) return;
    this.guard(() => {
      if (change.kind === 'wrist') this.emit({ case: 'wristChanged', value: { onWrist: change.onWrist } });
      if (change.kind === 'charger') {
        this.battery.setCharging(change.onCharger, this.clock.now());
        this.emit({ case: 'chargerChanged', value: { onCharger: change.onCharger } });
      }
      if (this.fault) return;
      if (change.kind === 'wrist') {
        if (change.onWrist) this.wristOn();
        else this.wristOff();
      } else if (change.kind === 'finger') {
        if (change.touch) this.fingerOn(change.touch);
        else this.fingerOff();
      } else if (change.kind === 'button' && change.button === 'top' && change.down) {
        this.presence?.end(true);
      }
      this.updateWipeHold();
    });
  }

  private wristOn(): void {
    if (this.stateNow === 'BAND_STATE_UNENROLLED' || this.stateNow === 'BAND_STATE_AUTHENTICATION_REQUIRED') {
      this.overlay = undefined;
      this.overlayTimer?.cancel();
      this.overlayTimer = undefined;
    }
    this.redraw();
  }

  private wristOff(): void {
    const state = this.stateNow;
    if (ENROLLING.includes(state)) return this.go('BAND_STATE_UNENROLLED', 'wrist_off');
    if (state === 'BAND_STATE_AUTHENTICATING') return this.go('BAND_STATE_AUTHENTICATION_REQUIRED', 'wrist_off');
    if (state === 'BAND_STATE_AUTHENTICATED') {
      this.go('BAND_STATE_AUTHENTICATION_REQUIRED', 'wrist_off');
      return this.deauthenticated();
    }
    if (state === 'BAND_STATE_DELETE_PROMPT' && this.keptAuth) {
      this.keptAuth = false;
      return this.deauthenticated();
    }
    if (state === 'BAND_STATE_UNENROLLED' || state === 'BAND_STATE_AUTHENTICATION_REQUIRED') {
      if (this.overlay !== 'SCREEN_USER_DATA_DELETED') {
        this.overlay = undefined;
        this.overlayTimer?.cancel();
        this.overlayTimer = undefined;
      }
    }
    this.redraw();
  }

  private deauthenticated(): void {
    this.emit({
      case: 'authenticationChanged',
      value: { authenticated: false, reason: 'AUTHENTICATION_REASON_REMOVED_FROM_WRIST' },
    });
    if (this.user?.hapticFeedback) this.emit({ case: 'vibrated', value: { count: Rules.VIBRATE_DEAUTH } });
  }

  private fingerOn(touch: Touch): void {
    if (this.stateNow === 'BAND_STATE_CAPTURING') return this.captureTouch(touch);
    if (this.stateNow === 'BAND_STATE_AUTHENTICATION_REQUIRED' && this.body.onWrist) return this.authenticate(touch);
  }

  private fingerOff(): void {
    if (this.stateNow === 'BAND_STATE_CAPTURING' && this.capture?.awaitingLift) {
      this.capture.awaitingLift = false;
      this.redraw();
    }
  }

  private captureTouch(touch: Touch): void {
    const capture = this.capture!;
    if (capture.awaitingLift) return;
    capture.awaitingLift = true;
    const rejected = touch.poorQuality || (capture.finger !== undefined && capture.finger !== touch.finger);
    if (!rejected) {
      capture.finger ??= touch.finger;
      capture.good++;
    }
    this.emit({
      case: 'captureProgress',
      value: { goodTouches: capture.good, touchesRequired: Rules.TOUCHES_REQUIRED, rejected },
    });
    // CAPTURED keeps the capture (its finger) for complete_enrollment; go() drops it when enrollment ends.
    if (capture.good >= Rules.TOUCHES_REQUIRED) return this.go('BAND_STATE_CAPTURED', 'capture_complete');
    this.redraw();
  }

  /** The verdict is the touch's: a match is decided at 1 s, the ECG at 3 s (pass) or 13 s (no heartbeat). */
  private authenticate(touch: Touch): void {
    const template = this.flash?.get(Keys.template);
    const matched = !touch.poorQuality && template !== undefined && templateMatches(template, touch.finger);
    this.go('BAND_STATE_AUTHENTICATING', 'finger_on');
    if (!matched) {
      this.authTimer = this.after(Rules.MATCH_MS, () => this.failed('no_match'));
    } else if (touch.liveness) {
      this.authTimer = this.after(Rules.MATCH_MS + Rules.ECG_PASS_MS, () => this.succeeded());
    } else {
      this.authTimer = this.after(Rules.MATCH_MS + Rules.ECG_FAIL_MS, () => this.failed('no_ecg'));
    }
  }

  private succeeded(): void {
    this.authTimer = undefined;
    if (this.failures > 0) this.commit(failuresChanges(0));
    this.failures = 0;
    this.go('BAND_STATE_AUTHENTICATED', 'matched');
    this.emit({
      case: 'authenticationChanged',
      value: { authenticated: true, reason: 'AUTHENTICATION_REASON_MATCHED' },
    });
  }

  /** The count reaches flash before the screen says anything, so cutting the power cannot erase a failure. */
  private failed(why: 'no_match' | 'no_ecg'): void {
    this.authTimer = undefined;
    const failures = this.failures + 1;
    this.commit(failuresChanges(failures));
    this.failures = failures;
    if (failures >= Rules.LOCKOUT_AFTER) {
      this.go('BAND_STATE_LOCKED_OUT', 'lockout');
      return this.authResult(false, 'AUTHENTICATION_REASON_LOCKED_OUT');
    }
    this.go('BAND_STATE_AUTHENTICATION_REQUIRED', why, why === 'no_match' ? 'SCREEN_NO_MATCH' : 'SCREEN_NO_ECG');
    this.authResult(false, why === 'no_match' ? 'AUTHENTICATION_REASON_NO_MATCH' : 'AUTHENTICATION_REASON_NO_ECG');
    this.showFor(Rules.RESULT_SCREEN_MS, () =>
      why === 'no_match' && this.failures > Rules.CENTER_FINGER_AFTER ? 'SCREEN_CENTER_FINGER' : undefined,
    );
  }

  private authResult(authenticated: boolean, reason: AuthenticationReason): void {
    this.emit({ case: 'authenticationChanged', value: { authenticated, reason } });
  }

  // ------------------------------------------------------------------ delete user data

  /** Off the wrist, on the charger, bottom button down: the 10 s hold runs; anything else stops it. */
  private updateWipeHold(): void {
    const down = this.body.isDown('bottom');
    if (!down) this.wipeLatched = false;
    const ready = this.powered && !this.fault && down && !this.wipeLatched && !this.body.onWrist && this.body.onCharger;
    if (ready && !this.wipeTimer) {
      this.wipeTimer = this.after(Rules.WIPE_HOLD_MS, () => this.wipe());
    } else if (!ready && this.wipeTimer) {
      this.wipeTimer.cancel();
      this.wipeTimer = undefined;
    }
  }

  private wipe(): void {
    this.wipeTimer = undefined;
    // One wipe per hold: the button must come up before the next.
    this.wipeLatched = true;
    this.commit(wipeChanges());
    this.user = undefined;
    this.failures = 0;
    this.keptAuth = false;
    this.go('BAND_STATE_UNENROLLED', 'wipe', 'SCREEN_USER_DATA_DELETED');
    this.emit({ case: 'vibrated', value: { count: Rules.VIBRATE_CONFIRM } });
    this.emit({ case: 'userDataDeleted', value: {} });
    this.authResult(false, 'AUTHENTICATION_REASON_USER_DATA_DELETED');
    this.showFor(Rules.WIPED_SCREEN_MS, () => undefined);
  }

  // ------------------------------------------------------------------ plumbing

  private after(ms: number, action: () => void): Timer {
    const epoch = this.epochNow;
    const handle: Timer = {
      cancel: () => {
        inner.cancel();
        this.timers.delete(handle);
      },
    };
    const inner = this.clock.setTimer(ms, () => {
      this.timers.delete(handle);
      if (epoch !== this.epochNow || !this.powered) return;
      this.guard(action);
    });
    this.timers.add(handle);
    return handle;
  }

  /** Sensor reactions and timers have no caller to answer: storage trouble changes the band, anything else resets it. */
  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (this.fail(error)) return;
      this.lastFault = error as Error;
      this.watchdogResets++;
      this.reboot();
    }
  }

  private emit(event: BandEvent): void {
    if (!this.powered) return;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // An observer's failure is the observer's: what the band does must not depend on who listens.
      }
    }
  }
}

/** band.proto's field names, which is what a host developer reads. */
function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function authHint(code: ErrorCode): string {
  if (code === 'ERROR_CODE_NOT_ENROLLED') return 'enroll the band first';
  if (code === 'ERROR_CODE_NOT_AUTHENTICATED') return 'put the band on and authenticate with the enrolled finger';
  return 'cancel the delete prompt first';
}
