import { BandClientError } from './errors.js';

/**
 * How a host watches a band while a flow waits on a person (a wipe, an enrollment touch, a fingerprint match: up
 * to minutes). Band events are one-way, so a band that died without closing the link (a UDP peer, a hung USB
 * device) would only be noticed when the person's time is up; a CTAPHID PING now and then notices it in seconds.
 */
export interface HeartbeatOptions {
  /** How often the band is PINGed while a flow waits for one of its events (default 5 000 ms). */
  intervalMs?: number;
  /**
   * How long the band may take to answer that PING before the wait fails with `BandClientError` `DISCONNECTED`
   * (`silentForMs` set to this value). Default 2 000 ms.
   */
  timeoutMs?: number;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 2_000;

/** The options with their defaults filled in; a value that is not a positive whole number is `INVALID_ARGUMENT`. */
export function heartbeatSettings(options: HeartbeatOptions = {}): Readonly<Required<HeartbeatOptions>> {
  const settings = {
    intervalMs: options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    timeoutMs: options.timeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
  };
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new BandClientError(
        'INVALID_ARGUMENT',
        `Expected BandClientOptions.heartbeat.${name} to be a positive whole number of milliseconds, got ${String(value)}.`,
      );
    }
  }
  return Object.freeze(settings);
}
