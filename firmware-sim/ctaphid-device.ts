import {
  BROADCAST_CID,
  Command,
  HidError,
  Reassembler,
  packetize,
  readCid,
  runsBesideTransaction,
  type CtapHidError,
  type HidMessage,
  type Unit,
} from '../transport/index.js';
import { SystemClock, type Clock, type Timer } from './clock.js';
import type { BandDevice } from './band-device.js';
import { initReply } from './init-reply.js';
import { OneTransaction, type Transaction } from './one-transaction.js';

export type ReportSink = (report: Uint8Array) => void;

/**
 * How many channels the band remembers. INIT on the broadcast channel always gets a fresh one; past this many
 * the least recently used is forgotten (its host gets INVALID_CHANNEL and runs INIT again), as authenticators
 * with a fixed channel table do, so a million INITs cost no more memory than this many.
 */
export const MAX_CHANNELS = 32;

export interface CtapHidDeviceOptions {
  /** Source of channel ids (4 random bytes each); the band's random source. */
  random(n: number): Uint8Array;
  /** The band's clock: KEEPALIVE and MSG_TIMEOUT are timed on it. Default the device's own, else wall time. */
  clock?: Clock;
  /** CTAP 2.1 §11.2.9.1.5: at most 100 ms between KEEPALIVEs while a request runs. */
  keepaliveIntervalMs?: number;
  /** Gap allowed between packets of one message (default DEFAULT_MSG_TIMEOUT_MS, 500 ms). */
  messageTimeoutMs?: number;
  /** Time allowed for a whole message (default DEFAULT_MAX_MESSAGE_MS, 2 s). */
  maxMessageMs?: number;
  /** Channels remembered at once (default MAX_CHANNELS). */
  maxChannels?: number;
}

/**
 * The band's USB/UDP HID interface (CTAP 2.1 §11.2): channel allocation with INIT (a bounded table,
 * least recently used forgotten first), reassembly of 64-byte reports with a per-packet and a
 * whole-message timeout, the band's one-transaction rule (firmware-sim/one-transaction.ts), CANCEL,
 * and ERROR with the spec's codes. Replies go back to whoever sent the request; band events go to the
 * channel that last spoke the band protocol.
 */
export class CtapHidDevice {
  private readonly reassembler: Reassembler;
  private readonly gate: OneTransaction;
  private readonly clock: Clock;
  /** Allocated channels, least recently used first (a Map keeps insertion order). */
  private readonly channels = new Map<number, true>();
  private readonly maxChannels: number;
  private transaction?: { cid: number; handle: Transaction };
  private eventTarget?: { cid: number; reply: ReportSink };
  private expiryTimer?: Timer;
  private partialFrom?: ReportSink;
  private readonly offEvent: () => void;

  constructor(
    private readonly device: BandDevice,
    private readonly options: CtapHidDeviceOptions,
  ) {
    this.clock = options.clock ?? device.clock ?? new SystemClock();
    this.gate = OneTransaction.of(device);
    this.maxChannels = options.maxChannels ?? MAX_CHANNELS;
    this.reassembler = new Reassembler({
      timeoutMs: options.messageTimeoutMs,
      maxMessageMs: options.maxMessageMs,
      now: () => this.clock.now(),
    });
    this.offEvent = device.onEvent((unit) => {
      const target = this.eventTarget;
      if (target && this.channels.has(target.cid)) this.send(target.reply, target.cid, unit);
    });
  }

  /** Channels the band currently remembers (at most maxChannels). */
  get channelCount(): number {
    return this.channels.size;
  }

  /** One report from a host; `reply` carries reports back to that host. */
  receive(report: Uint8Array, reply: ReportSink): void {
    for (const item of this.reassembler.push(report)) {
      if ('hidError' in item) this.refuse(reply, item);
      else this.dispatch(item, reply);
    }
    // MSG_TIMEOUT goes to the host whose message is unfinished, not to whoever spoke last.
    if (report.length >= 4 && this.reassembler.busyCid === readCid(report)) this.partialFrom = reply;
    this.armExpiry();
  }

  close(): void {
    this.offEvent();
    this.expiryTimer?.cancel();
    this.transaction?.handle.abandon();
    this.transaction = undefined;
  }

  private dispatch(message: HidMessage, reply: ReportSink): void {
    const { cid, command, payload } = message;
    if (command === Command.INIT) {
      if (payload.length !== 8) return this.error(reply, cid, HidError.INVALID_LEN);
      if (cid === BROADCAST_CID) {
        const fresh = this.allocate();
        return this.send(reply, BROADCAST_CID, {
          command: Command.INIT,
          payload: initReply(payload, fresh, { cbor: this.device.hostsCtap2 }),
        });
      }
      // INIT on an allocated channel resynchronises it: whatever it was doing is abandoned.
      if (!this.touch(cid)) return this.error(reply, cid, HidError.INVALID_CHANNEL);
      if (this.transaction?.cid === cid) {
        this.transaction.handle.abandon();
        this.transaction = undefined;
      }
      return this.send(reply, cid, {
        command: Command.INIT,
        payload: initReply(payload, cid, { cbor: this.device.hostsCtap2 }),
      });
    }
    if (!this.touch(cid)) return this.error(reply, cid, HidError.INVALID_CHANNEL);
    if (command === Command.CANCEL) {
      if (this.transaction?.cid === cid) this.transaction.handle.cancel();
      return;
    }
    if (command === Command.BAND) this.eventTarget = { cid, reply };
    const handle = this.gate.begin(
      { command, payload },
      {
        clock: this.clock,
        keepaliveIntervalMs: this.options.keepaliveIntervalMs,
        answer: (answer) => {
          if (this.transaction?.handle === handle) this.transaction = undefined;
          this.send(reply, cid, answer);
        },
        keepalive: (status) => this.send(reply, cid, { command: Command.KEEPALIVE, payload: Uint8Array.of(status) }),
      },
    );
    if (!handle) return this.error(reply, cid, HidError.CHANNEL_BUSY);
    if (!runsBesideTransaction(command)) this.transaction = { cid, handle };
  }

  /** Marks `cid` as just used; false when the band does not know it (never allocated, or forgotten). */
  private touch(cid: number): boolean {
    if (!this.channels.delete(cid)) return false;
    this.channels.set(cid, true);
    return true;
  }

  private allocate(): number {
    for (;;) {
      const bytes = this.options.random(4);
      const cid = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
      if (cid === 0 || cid === BROADCAST_CID || this.channels.has(cid)) continue;
      while (this.channels.size >= this.maxChannels) this.forget(this.channels.keys().next().value as number);
      this.channels.set(cid, true);
      return cid;
    }
  }

  private forget(cid: number): void {
    this.channels.delete(cid);
    // A forgotten channel's request is abandoned like INIT would; its host's next packet gets INVALID_CHANNEL.
    if (this.transaction?.cid === cid) {
      this.transaction.handle.abandon();
      this.transaction = undefined;
    }
    if (this.eventTarget?.cid === cid) this.eventTarget = undefined;
  }

  /** MSG_TIMEOUT must be answered when the next packet is overdue, not when it finally comes. */
  private armExpiry(): void {
    this.expiryTimer?.cancel();
    this.expiryTimer = undefined;
    const deadline = this.reassembler.deadline;
    const reply = this.partialFrom;
    if (deadline === undefined || !reply) return;
    this.expiryTimer = this.clock.setTimer(Math.max(1, deadline - this.clock.now() + 1), () => {
      const expired = this.reassembler.expire();
      if (expired) this.refuse(reply, expired);
      else this.armExpiry();
    });
  }

  private refuse(reply: ReportSink, error: CtapHidError): void {
    this.error(reply, error.cid, error.hidError);
  }

  private error(reply: ReportSink, cid: number, code: number): void {
    this.send(reply, cid, { command: Command.ERROR, payload: Uint8Array.of(code) });
  }

  private send(reply: ReportSink, cid: number, unit: Unit): void {
    for (const report of packetize(cid, unit.command, unit.payload)) reply(report);
  }
}
