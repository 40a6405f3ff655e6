import type { BandState } from '../proto/index.js';
import type { Timer } from './clock.js';
import { UserPresenceTimeoutError } from './ctap2/env.js';
import { isCancelled, offCancel, onCancel, type DeviceContext } from './band-device.js';
import type { Controller, Firmware } from './firmware.js';
import { Rules } from './rules.js';
import type { BOOT } from './transitions.js';

/** What a FIDO2 user-presence request is for: the authenticator's purpose and relying party. */
export interface PresenceRequest {
  purpose: string;
  rpId?: string;
}

/** Why a presence wait ended without the user: the authenticator maps it to its timeout status. */
class PresenceTimeout extends UserPresenceTimeoutError {}

/**
 * FIDO2 user presence (CTAP 2.1 §6.1.2 and §6.2.2, "collect user presence"): a worn, authenticated band shows
 * CONFIRM and waits for the top button. One wait at a time; it ends when the band leaves AUTHENTICATED.
 */
export class PresenceWait implements Controller {
  private waiting?: Waiting;

  constructor(
    private readonly band: Firmware,
    /** userVerified: true while the band is worn and authenticated (the kernel). */
    private readonly kernel: { readonly userVerified: boolean },
  ) {}

  /** What the CONFIRM screen asks the wearer to confirm, while it waits. */
  get request(): PresenceRequest | undefined {
    return this.waiting?.what;
  }

  /**
   * Auto-presence answers at once; otherwise CONFIRM shows and the band waits for the top button, sending
   * KEEPALIVE(UPNEEDED) meanwhile. False when the band is not worn and authenticated, when it leaves that
   * state, or when the host cancels; a UserPresenceTimeoutError after 30 s of band time. `what` is shown on the
   * CONFIRM screen (the debug link's ReadScreen reports it).
   */
  wait(ctx: DeviceContext, what: PresenceRequest = { purpose: '' }): Promise<boolean> {
    if (this.band.config.autoPresence) return Promise.resolve(true);
    if (!this.kernel.userVerified || this.waiting || isCancelled(ctx)) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      const waiting = new Waiting(this, this.band, ctx, what, resolve, reject);
      this.waiting = waiting;
      onCancel(ctx, waiting);
      this.band.overlay = 'SCREEN_CONFIRM';
      this.band.redraw();
      waiting.beat();
    });
  }

  /** Ends `waiting` if it is still the wait: true then. */
  finish(waiting: Waiting): boolean {
    if (this.waiting !== waiting) return false;
    this.waiting = undefined;
    return true;
  }

  /** The top button: the wearer is present. */
  pressed(): void {
    this.waiting?.end(true);
  }

  moved(from: BandState | typeof BOOT, to: BandState): void {
    if (from === 'BAND_STATE_AUTHENTICATED' && to !== 'BAND_STATE_AUTHENTICATED') this.waiting?.end(false);
  }

  reset(): void {
    this.waiting?.end(false);
    this.waiting = undefined;
  }
}

/**
 * One wait for the top button: its timers, the host's cancel (it is the request's cancel watcher) and its promise's
 * ends in one object, where it was six closures and their context (a fleet has a thousand bands waiting at once).
 */
class Waiting {
  readonly what: PresenceRequest;
  private keepalive?: Timer;
  private readonly timeout: Timer;

  constructor(
    private readonly owner: PresenceWait,
    private readonly band: Firmware,
    private readonly ctx: DeviceContext,
    what: PresenceRequest,
    private readonly resolve: (present: boolean) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.timeout = band.after(Rules.PRESENCE_TIMEOUT_MS, this.timedOut);
    this.what = { purpose: what.purpose, rpId: what.rpId?.slice(0, 128) };
  }

  readonly beat = (): void => {
    this.ctx.keepalive(2);
    this.keepalive = this.band.after(Rules.KEEPALIVE_MS, this.beat);
  };

  private readonly timedOut = (): void =>
    this.end(new PresenceTimeout(`no top-button press within ${Rules.PRESENCE_TIMEOUT_MS} ms`));

  /** The host cancelled (CTAPHID_CANCEL). */
  handleEvent(): void {
    this.end(false);
  }

  end(result: boolean | Error): void {
    if (!this.owner.finish(this)) return;
    this.keepalive?.cancel();
    this.timeout.cancel();
    offCancel(this.ctx, this);
    if (this.band.overlay === 'SCREEN_CONFIRM') {
      this.band.overlay = undefined;
      if (this.band.isPowered) this.band.redraw();
    }
    if (result instanceof Error) this.reject(result);
    else this.resolve(result);
  }
}
