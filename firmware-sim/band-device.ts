import type { Unit } from '../transport/index.js';
import type { Clock } from './clock.js';

/** What a band is given with each request: cancellation (CTAPHID_CANCEL) and a way to send KEEPALIVE. */
export interface DeviceContext {
  signal: AbortSignal;
  /** Send CTAPHID_KEEPALIVE with KeepaliveStatus.PROCESSING or UPNEEDED while the request waits. */
  keepalive(status: number): void;
  /**
   * Optional, what `signal` says without making it (an AbortSignal with a listener is ~600 bytes, and a fleet has a
   * thousand requests waiting for presence): whether the request was cancelled, and one watcher, told at the cancel.
   * The band uses them through isCancelled, onCancel and offCancel, which fall back to `signal`.
   */
  readonly cancelled?: boolean;
  watchCancel?(watcher: CancelWatcher): void;
  unwatchCancel?(watcher: CancelWatcher): void;
}

/** Told when a request is cancelled: an EventListener object, so `signal` can tell it too. */
export interface CancelWatcher {
  handleEvent(): void;
}

/** Whether the request was cancelled (CTAPHID_CANCEL). */
export function isCancelled(ctx: DeviceContext): boolean {
  return ctx.cancelled ?? ctx.signal.aborted;
}

/** Tells `watcher` once when the request is cancelled (until offCancel). */
export function onCancel(ctx: DeviceContext, watcher: CancelWatcher): void {
  if (ctx.watchCancel) ctx.watchCancel(watcher);
  else ctx.signal.addEventListener('abort', watcher, { once: true });
}

export function offCancel(ctx: DeviceContext, watcher: CancelWatcher): void {
  if (ctx.unwatchCancel) ctx.unwatchCancel(watcher);
  else ctx.signal.removeEventListener('abort', watcher);
}

/**
 * A band as every endpoint (loopback, serial, TCP, UDP HID) sees it: one unit in, one unit out, and
 * unsolicited event units. INIT channel allocation and HID packetisation are the endpoint's business.
 */
export interface BandDevice {
  /** Handles one request; resolves with the reply (same command, or ERROR with a CTAPHID error code). */
  handle(unit: Unit, ctx: DeviceContext): Promise<Unit>;
  /** Unsolicited units, e.g. BAND events (request_id 0). Returns an unsubscribe function. */
  onEvent(listener: (unit: Unit) => void): () => void;
  /**
   * Whether the band answers CBOR (hosts a CTAP2 authenticator). INIT advertises CAPABILITY_CBOR only then
   * (CTAP 2.1 §11.2.9.1.3). Absent means true.
   */
  readonly hostsCtap2?: boolean;
  /** The band's clock; an endpoint times its KEEPALIVEs and message timeouts on it. Absent means wall time. */
  readonly clock?: Clock;
}
