import { randomBytes } from 'node:crypto';
import { BaseTransport, describe } from './base-transport.js';
import { Command, HidError } from '../proto/ctaphid.js';
import { BROADCAST_CID, HID_REPORT_SIZE, packetize, readCid, Reassembler } from './ctaphid.js';
import { decodeInitResponse, INIT_NONCE_SIZE, type InitResponse } from './ctaphid-init.js';
import { CtapHidError, TransportError } from './errors.js';
import { Listeners } from './listeners.js';
import { systemTimers, type Timers } from './timers.js';
import type { Transport, Unit } from './transport.js';

/** The least a report wire (UDP socket, HID device) has to offer: whole 64-byte reports. */
export interface ReportLink {
  /** Resolves once the report is handed to the wire. */
  write(report: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface CtapHidHostOptions {
  /** Source of the INIT nonce. Default crypto.randomBytes. */
  random?: (size: number) => Uint8Array;
  /** How long to wait for the INIT response. Default 3000 ms. */
  initTimeoutMs?: number;
  timers?: Timers;
  /** Clock for the reassembler's inter-packet timeout. Default Date.now. */
  now?: () => number;
  /** Longest gap between packets of one incoming message. Default 500 ms. */
  msgTimeoutMs?: number;
}

/** A Transport over CTAPHID reports, on the channel INIT allocated. */
export interface CtapHidTransport extends Transport {
  readonly channel: number;
  /** What the band said about itself in its INIT response. */
  readonly device: InitResponse;
  /**
   * Puts one 64-byte report on the wire exactly as given, on any channel, in any order. For conformance
   * tests that must break CTAPHID's rules on purpose (a skipped sequence number, a second channel, a
   * message left unfinished); ordinary callers send units. Reports of a unit being sent are not split.
   */
  writeReport(report: Uint8Array): Promise<void>;
  /**
   * Every report that arrives, whatever its channel, before reassembly (so a test can see answers on the
   * broadcast channel or on a second channel it allocated itself). Returns an unsubscribe function.
   */
  onReport(listener: (report: Uint8Array) => void): () => void;
}

/**
 * Host side of CTAPHID over any report wire: INIT on the broadcast channel with a fresh nonce, then
 * units packetized on the allocated channel. Reports for other channels (other hosts sharing the
 * device, stale INIT answers) are ignored. KEEPALIVE and ERROR arrive as ordinary units; callers
 * decide what they mean.
 */
export class CtapHidHost extends BaseTransport implements CtapHidTransport {
  readonly #link: ReportLink;
  readonly #options: CtapHidHostOptions;
  readonly #reassembler: Reassembler;
  #channel = BROADCAST_CID;
  #device: InitResponse | undefined;
  #handshake: { nonce: Uint8Array; settle: (error?: TransportError) => void } | undefined;
  /** Reports of two units must never interleave, so writes go out one unit at a time. */
  #writes: Promise<unknown> = Promise.resolve();
  readonly #rawReports = new Listeners<[Uint8Array]>();

  constructor(name: string, link: ReportLink, options: CtapHidHostOptions = {}) {
    super(name);
    this.#link = link;
    this.#options = options;
    this.#reassembler = new Reassembler({ timeoutMs: options.msgTimeoutMs, now: options.now, side: 'host' });
    this.onClose(() => this.#rawReports.clear());
  }

  get channel(): number {
    return this.#channel;
  }

  get device(): InitResponse {
    if (!this.#device)
      throw new TransportError(
        'CLOSED',
        `expected ${this.name} to have completed INIT, it has not; await initialize() first`,
      );
    return this.#device;
  }

  /** Runs CTAPHID_INIT. On failure the link is closed and OPEN_FAILED (or the link's error) is thrown. */
  async initialize(): Promise<this> {
    const nonce = (this.#options.random ?? randomBytes)(INIT_NONCE_SIZE);
    const timers = this.#options.timers ?? systemTimers;
    const timeoutMs = this.#options.initTimeoutMs ?? 3000;
    let timer: unknown;
    const answered = new Promise<void>((resolve, reject) => {
      this.#handshake = { nonce: Uint8Array.from(nonce), settle: (error) => (error ? reject(error) : resolve()) };
      timer = timers.setTimeout(
        () =>
          reject(
            new TransportError(
              'OPEN_FAILED',
              `expected an INIT response from ${this.name} within ${timeoutMs} ms, got none; check the band is running and speaks CTAPHID there`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.all([this.#write(packetize(BROADCAST_CID, Command.INIT, nonce)), this.track(answered)]);
    } catch (error) {
      await this.close().catch(() => undefined);
      throw error instanceof TransportError && error.code === 'OPEN_FAILED'
        ? error
        : new TransportError(
            'OPEN_FAILED',
            `expected ${this.name} to answer INIT, the link failed: ${describe(error)}; check the device and retry`,
            { cause: error },
          );
    } finally {
      timers.clearTimeout(timer);
      this.#handshake = undefined;
    }
    return this;
  }

  /** One report as it came off the wire. */
  receiveReport(report: Uint8Array): void {
    if (this.isClosingOrClosed) return;
    if (this.#rawReports.size > 0) this.#rawReports.emit(Uint8Array.from(report));
    if (report.length >= 4 && readCid(report) !== this.#channel) return;
    for (const item of this.#reassembler.push(report)) {
      if (item instanceof CtapHidError) this.reportFrameError(item);
      else this.#message({ command: item.command, payload: item.payload });
    }
  }

  writeReport(report: Uint8Array): Promise<void> {
    if (this.isClosingOrClosed) {
      return Promise.reject(
        new TransportError('CLOSED', `expected ${this.name} to be open, it is closed; open a new transport`),
      );
    }
    if (!(report instanceof Uint8Array) || report.length !== HID_REPORT_SIZE) {
      return Promise.reject(
        new TransportError(
          'BAD_UNIT',
          `expected a ${HID_REPORT_SIZE}-byte report, got ${report?.length ?? typeof report}; pad reports with zeros`,
        ),
      );
    }
    return this.track(this.#write([Uint8Array.from(report)]));
  }

  onReport(listener: (report: Uint8Array) => void): () => void {
    return this.#rawReports.add(listener);
  }

  /** The wire ended without a local close(). */
  linkLost(reason: TransportError): void {
    this.markClosed(reason);
  }

  protected sendUnit(unit: Unit): Promise<void> {
    return this.#write(packetize(this.#channel, unit.command, unit.payload));
  }

  protected closeLink(): Promise<void> {
    return this.#link.close();
  }

  #message(unit: Unit): void {
    const handshake = this.#handshake;
    if (!handshake) {
      this.deliverUnit(unit);
      return;
    }
    if (unit.command === Command.ERROR) {
      const code = unit.payload[0] ?? HidError.OTHER;
      const name = Object.entries(HidError).find(([, v]) => v === code)?.[0] ?? `0x${code.toString(16)}`;
      handshake.settle(
        new TransportError(
          'OPEN_FAILED',
          `expected an INIT response from ${this.name}, got ERROR ${name}; retry, or close other programs using the band`,
        ),
      );
      return;
    }
    if (unit.command !== Command.INIT || !sameBytes(unit.payload.subarray(0, INIT_NONCE_SIZE), handshake.nonce)) return;
    try {
      this.#device = decodeInitResponse(unit.payload);
    } catch (error) {
      handshake.settle(error as TransportError);
      return;
    }
    this.#channel = this.#device.cid;
    this.#reassembler.reset();
    handshake.settle();
  }

  #write(reports: Uint8Array[]): Promise<void> {
    const run = this.#writes.then(async () => {
      for (const report of reports) await this.#link.write(report);
    });
    this.#writes = run.catch(() => undefined);
    return run;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
