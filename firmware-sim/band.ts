import type { BandState, FidoCredential, GetStateResponse, Screen } from '../proto/index.js';
import { Battery } from './battery.js';
import type { Body, BodyChange } from './body.js';
import type { Clock, Timer } from './clock.js';
import { DeleteUserData } from './delete-user-data.js';
import { Display } from './display.js';
import { EnrollmentSession } from './enrollment-session.js';
import type { BandConfig, BandEvent, BandHooks, Controller, Firmware } from './firmware.js';
import type { FlashChip } from './flash-chip.js';
import { FlashCorruptError, FlashIoError, PowerCutError } from './flash-errors.js';
import type { FlashChanges, FlashStore } from './flash-store.js';
import { Flash } from './flash.js';
import { Matcher } from './matcher.js';
import { Subscribers } from '../transport/index.js';
import { PresenceWait } from './presence-wait.js';
import { DeterministicRandom, type RandomSource } from './random.js';
import { BOOT, isTransition, type Trigger } from './transitions.js';
import { deviceIdentity, readUser, type StoredUser } from './user-data.js';
import type { World } from './world.js';

export type { BandConfig, BandEvent, BandHooks } from './firmware.js';
export type { PresenceRequest } from './presence-wait.js';

/**
 * The band's firmware kernel: power and boot, the flash, the state table, the display, timers that die with
 * the power, and events. Each concern runs in its own controller — `enrollment` (setup code, capture, the
 * stored user and settings), `matcher` (authentication and lockout), `deletion` (the delete prompt and the
 * wipe hold), `presence` (the FIDO2 user-presence wait) — and moves the state only through `go`. Which host
 * request is admitted where is request-rules.ts's. Everything in RAM is lost on reboot; what must survive is
 * committed to flash first. Storage trouble inside a request is `fail()`ed by the caller.
 */
export class Band implements Firmware {
  random: RandomSource;
  readonly body: Body;
  readonly enrollment: EnrollmentSession;
  readonly matcher: Matcher;
  readonly deletion: DeleteUserData;
  readonly presence: PresenceWait;
  private readonly display: Display;
  private readonly clock: Clock;
  private readonly chip: FlashChip;
  private readonly battery: Battery;
  private readonly controllers: readonly Controller[];
  private readonly listeners = new Subscribers<BandEvent>();
  private readonly offBody: () => void;
  private bootFlash?: FlashStore;

  // RAM: everything below is rebuilt by boot().
  private powered = false;
  private epochNow = 0;
  private flash?: Flash;
  private fault?: Error;
  private deviceIdBytes: Uint8Array = new Uint8Array(0);
  private stateNow: BandState = 'BAND_STATE_UNSPECIFIED';
  user: StoredUser | undefined;
  /**
   * The timers of after() not yet fired or cancelled, newest first, linked through the timers themselves (a Set with
   * its table was ~180 bytes a band, and a fleet holds a thousand bands).
   */
  private timers: BandTimer | undefined;
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
    this.enrollment = new EnrollmentSession(this);
    this.matcher = new Matcher(this);
    this.deletion = new DeleteUserData(this, this.matcher);
    this.presence = new PresenceWait(this, this);
    this.display = new Display(this);
    // The presence wait first: ending it redraws, and the others' RAM must still be whole for that.
    this.controllers = [this.presence, this.enrollment, this.matcher, this.deletion];
    this.offBody = this.body.onChange((change) => this.sense(change));
    this.boot();
  }

  // ------------------------------------------------------------------ what the outside sees

  onEvent(listener: (event: BandEvent) => void): () => void {
    return this.listeners.add(listener);
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
    return this.display.screen;
  }
  get overlay(): Screen | undefined {
    return this.display.overlay;
  }
  set overlay(screen: Screen | undefined) {
    this.display.overlay = screen;
  }
  get storageFault(): Error | undefined {
    return this.fault;
  }
  get enrolled(): boolean {
    return this.user !== undefined;
  }
  get seosProvisioned(): boolean {
    return this.user?.seosProvisioned ?? false;
  }
  get deviceId(): Uint8Array {
    return new Uint8Array(this.deviceIdBytes);
  }
  /** The store the CTAP2 authenticator uses: always the current boot's flash. One object for the band's life. */
  get store(): FlashStore {
    return (this.bootFlash ??= new BootFlash(this));
  }

  /** The current boot's flash, or why there is none: the power is off, or the flash could not be read. */
  currentFlash(): Flash {
    if (!this.powered) throw new PowerCutError(0, 'off');
    if (this.fault || !this.flash) throw this.fault ?? new FlashIoError('the flash is not open');
    return this.flash;
  }
  /** True while the band is worn and authenticated: the CTAP2 authenticator's built-in user verification. */
  get userVerified(): boolean {
    return this.powered && this.stateNow === 'BAND_STATE_AUTHENTICATED' && this.body.onWrist;
  }

  getState(): GetStateResponse {
    return {
      state: this.stateNow,
      screen: this.screen,
      onWrist: this.body.onWrist,
      onCharger: this.body.onCharger,
      enrolled: this.user !== undefined,
      userName: this.user?.userName ?? '',
      label: this.user?.label ?? '',
      hapticFeedback: this.user?.hapticFeedback ?? false,
      failedMatches: this.matcher.failures,
      fidoCredentialCount: this.hooks.fidoCredentialCount?.(this.store) ?? 0,
      batteryPercent: this.battery.percent(this.clock.now()),
      localUser: this.user?.local ?? false,
    };
  }

  fidoCredentials(): FidoCredential[] | undefined {
    return this.hooks.fidoCredentials?.(this.store);
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

  // ------------------------------------------------------------------ power

  private boot(): void {
    this.epochNow++;
    this.chip.powerOn();
    this.powered = true;
    this.fault = undefined;
    this.flash = undefined;
    this.user = undefined;
    this.matcher.load();
    this.deviceIdBytes = new Uint8Array(0);
    this.display.forget();
    try {
      this.flash = Flash.open(this.chip, this.config.flash);
      this.deviceIdBytes = deviceIdentity(this.flash, this.random);
      this.user = readUser(this.flash, this.flash.location);
      if (this.user) this.matcher.load(this.flash, this.flash.location);
    } catch (error) {
      // Whatever stops the boot, the band stays up to say so (STORAGE) rather than reset in a loop.
      if (!this.fail(error)) this.enterFault(error as Error);
      if (!this.powered) return;
    }
    if (this.fault) return this.redraw();
    this.stateNow = 'BAND_STATE_UNSPECIFIED';
    this.goFrom(BOOT, this.restingState(false), 'boot');
    this.hooks.powerUp?.();
    this.deletion.update();
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
    while (this.timers) this.timers.cancel();
    for (const controller of this.controllers) controller.reset();
    this.display.dropOverlay();
  }

  restingState(authenticated: boolean): BandState {
    if (!this.user) return 'BAND_STATE_UNENROLLED';
    if (this.matcher.lockedOut) return 'BAND_STATE_LOCKED_OUT';
    return authenticated ? 'BAND_STATE_AUTHENTICATED' : 'BAND_STATE_AUTHENTICATION_REQUIRED';
  }

  commit(changes: FlashChanges): void {
    if (!this.flash) throw this.fault ?? new FlashIoError('the flash is not open');
    this.flash.commit(changes);
  }

  read(key: string): Uint8Array | undefined {
    return this.flash?.get(key);
  }

  // ------------------------------------------------------------------ the state table and the display

  go(to: BandState, on: Trigger, overlay?: Screen): void {
    this.goFrom(this.stateNow, to, on, overlay);
  }

  private goFrom(from: BandState | typeof BOOT, to: BandState, on: Trigger, overlay?: Screen): void {
    if (!isTransition(from, to, on)) {
      throw new Error(`the firmware tried ${from} -> ${to} on ${on}, which is not in transitions.ts`);
    }
    this.dropOverlay();
    this.overlay = overlay;
    for (const controller of this.controllers) controller.moved?.(from, to, on);
    this.stateNow = to;
    this.redraw();
  }

  redraw(): void {
    this.display.redraw();
  }

  showFor(ms: number, then: () => Screen | undefined): void {
    this.display.showFor(ms, then);
  }

  dropOverlay(): void {
    this.display.dropOverlay();
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
        if (!change.touch) {
          if (this.stateNow === 'BAND_STATE_CAPTURING') this.enrollment.lift();
        } else if (this.stateNow === 'BAND_STATE_CAPTURING') this.enrollment.touch(change.touch);
        else if (this.stateNow === 'BAND_STATE_AUTHENTICATION_REQUIRED' && this.body.onWrist)
          this.matcher.touch(change.touch);
      } else if (change.kind === 'button' && change.button === 'top' && change.down) {
        this.presence.pressed();
      }
      this.deletion.update();
    });
  }

  private wristOn(): void {
    if (this.stateNow === 'BAND_STATE_UNENROLLED' || this.stateNow === 'BAND_STATE_AUTHENTICATION_REQUIRED') {
      this.dropOverlay();
    }
    this.redraw();
  }

  private wristOff(): void {
    // The concern whose state it is reacts (an enrollment ends, an authentication ends); else overlays go.
    const reacted =
      this.enrollment.removedFromWrist() || this.matcher.removedFromWrist() || this.deletion.removedFromWrist();
    if (reacted) return;
    const state = this.stateNow;
    if (state === 'BAND_STATE_UNENROLLED' || state === 'BAND_STATE_AUTHENTICATION_REQUIRED') {
      if (this.overlay !== 'SCREEN_USER_DATA_DELETED') this.dropOverlay();
    }
    this.redraw();
  }

  // ------------------------------------------------------------------ plumbing

  after(ms: number, action: () => void): Timer {
    const timer = new BandTimer(this, this.epochNow, action);
    timer.inner = this.clock.setTimer(ms, () => timer.fire());
    timer.next = this.timers;
    if (this.timers) this.timers.previous = timer;
    this.timers = timer;
    timer.linked = true;
    return timer;
  }

  /** A timer of after() fired or was cancelled: it is no longer the band's to cancel. */
  forgetTimer(timer: BandTimer): void {
    if (!timer.linked) return;
    timer.linked = false;
    if (timer.previous) timer.previous.next = timer.next;
    else this.timers = timer.next;
    if (timer.next) timer.next.previous = timer.previous;
    timer.previous = timer.next = undefined;
  }

  /** A timer of after() is due: its action runs if the power it was set under is still on. */
  timerDue(epoch: number, action: () => void): void {
    if (epoch !== this.epochNow || !this.powered) return;
    this.guard(action);
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

  emit(event: BandEvent): void {
    if (!this.powered) return;
    this.listeners.emit(event, callQuietly);
  }
}

function callQuietly(listener: (event: BandEvent) => void, event: BandEvent): void {
  try {
    listener(event);
  } catch {
    // An observer's failure is the observer's: what the band does must not depend on who listens.
  }
}

/**
 * A timer of Band.after(): the handle and the band's record of it in one object (it was an object, two closures and
 * their context, for every keepalive a presence wait sends).
 */
class BandTimer implements Timer {
  inner?: Timer;
  /** Band.timers' links while the timer is the band's. */
  linked = false;
  previous?: BandTimer;
  next?: BandTimer;

  constructor(
    private readonly band: Band,
    private readonly epoch: number,
    private readonly action: () => void,
  ) {}

  cancel(): void {
    this.inner?.cancel();
    this.band.forgetTimer(this);
  }

  fire(): void {
    this.band.forgetTimer(this);
    this.band.timerDue(this.epoch, this.action);
  }
}

/** Band.store: every call reaches the flash of the boot it runs in, or fails as the band's power and flash say. */
class BootFlash implements FlashStore {
  constructor(private readonly band: Band) {}

  get(key: string): Uint8Array | undefined {
    return this.band.currentFlash().get(key);
  }
  keys(prefix?: string): string[] {
    return this.band.currentFlash().keys(prefix);
  }
  commit(changes: FlashChanges): void {
    this.band.currentFlash().commit(changes);
  }
}
