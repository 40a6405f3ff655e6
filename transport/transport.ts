import type { TransportError } from './errors.js';

/** The one unit every wire carries: a command byte and its payload (the CTAPHID message model). */
export interface Unit {
  command: number;
  payload: Uint8Array;
}

/**
 * A connection to one band (host side) or to one host (band side). Implementations: loopback, serial,
 * tcp, udp-hid, hid, record, replay. Framing is the transport's business; callers see whole units.
 */
export interface Transport {
  /** Human-readable endpoint, e.g. `serial:/dev/ttyUSB0` or `udp-hid:127.0.0.1:8111`. */
  readonly name: string;
  readonly isOpen: boolean;
  /** Sends one unit. Rejects with TransportError if the link is closed or the write fails. */
  send(unit: Unit): Promise<void>;
  /** Every whole unit that arrives, in order. Returns an unsubscribe function. */
  onUnit(listener: (unit: Unit) => void): () => void;
  /**
   * A frame that arrived damaged and was dropped (CRC mismatch, bad COBS, oversize). The link keeps
   * serving; this is for diagnostics and counters. Returns an unsubscribe function.
   */
  onFrameError(listener: (error: TransportError) => void): () => void;
  /** Called once when the link closes: `error` is set when it died (unplug, peer gone). */
  onClose(listener: (error?: TransportError) => void): () => void;
  close(): Promise<void>;
}
