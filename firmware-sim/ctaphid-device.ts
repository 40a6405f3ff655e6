import {
  BROADCAST_CID,
  Command,
  HidError,
  KeepaliveStatus,
  Reassembler,
  packetize,
  type CtapHidError,
  type HidMessage,
  type Unit,
} from '../transport/index.js';
import type { BandDevice } from './device.js';
import { initReply } from './init-reply.js';

export type ReportSink = (report: Uint8Array) => void;

export interface CtapHidDeviceOptions {
  /** Source of channel ids (4 random bytes each); the band's random source. */
  random(n: number): Uint8Array;
  /** CTAP 2.1 §11.2.9.1.5: at most 100 ms between KEEPALIVEs while a request runs. */
  keepaliveIntervalMs?: number;
  /** Gap allowed between packets of one message (default 500 ms). */
  messageTimeoutMs?: number;
}

interface Transaction {
  cid: number;
  reply: ReportSink;
  controller: AbortController;
  status: number;
  timer: ReturnType<typeof setInterval>;
}

/**
 * The band's USB/UDP HID interface (CTAP 2.1 §11.2): channel allocation with INIT, reassembly of 64-byte
 * reports, one transaction at a time for the whole device (another channel gets CHANNEL_BUSY), CANCEL,
 * KEEPALIVE while a request runs, and ERROR with the spec's codes. Replies go back to whoever sent the
 * request; band events go to the channel that last spoke the band protocol.
 */
export class CtapHidDevice {
  private readonly reassembler: Reassembler;
  private readonly channels = new Set<number>();
  private transaction?: Transaction;
  private eventTarget?: { cid: number; reply: ReportSink };
  private expiryTimer?: ReturnType<typeof setTimeout>;
  private readonly offEvent: () => void;

  constructor(
    private readonly device: BandDevice,
    private readonly options: CtapHidDeviceOptions,
  ) {
    this.reassembler = new Reassembler({ timeoutMs: options.messageTimeoutMs ?? 500 });
    this.offEvent = device.onEvent((unit) => {
      const target = this.eventTarget;
      if (target && this.channels.has(target.cid)) this.send(target.reply, target.cid, unit);
    });
  }

  /** One report from a host; `reply` carries reports back to that host. */
  receive(report: Uint8Array, reply: ReportSink): void {
    for (const item of this.reassembler.push(report)) {
      if ('hidError' in item) this.refuse(reply, item);
      else this.dispatch(item, reply);
    }
    this.armExpiry(reply);
  }

  close(): void {
    this.offEvent();
    clearTimeout(this.expiryTimer);
    this.endTransaction(true);
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
      if (!this.channels.has(cid)) return this.error(reply, cid, HidError.INVALID_CHANNEL);
      if (this.transaction?.cid === cid) this.endTransaction(true);
      return this.send(reply, cid, {
        command: Command.INIT,
        payload: initReply(payload, cid, { cbor: this.device.hostsCtap2 }),
      });
    }
    if (!this.channels.has(cid)) return this.error(reply, cid, HidError.INVALID_CHANNEL);
    if (command === Command.CANCEL) {
      if (this.transaction?.cid === cid) this.transaction.controller.abort();
      return;
    }
    if (command === Command.BAND) this.eventTarget = { cid, reply };
    if (command === Command.DEBUG) {
      // The debug link is the user's hands: it acts while a request waits for them (see serve.ts).
      void this.device
        .handle({ command, payload }, { signal: new AbortController().signal, keepalive: () => undefined })
        .then(
          (unit) => this.send(reply, cid, unit),
          () => this.error(reply, cid, HidError.OTHER),
        );
      return;
    }
    if (this.transaction) return this.error(reply, cid, HidError.CHANNEL_BUSY);
    this.run(cid, { command, payload }, reply);
  }

  private run(cid: number, unit: Unit, reply: ReportSink): void {
    const controller = new AbortController();
    const transaction: Transaction = {
      cid,
      reply,
      controller,
      status: KeepaliveStatus.PROCESSING,
      timer: setInterval(() => this.keepalive(transaction), this.options.keepaliveIntervalMs ?? 100),
    };
    this.transaction = transaction;
    const ctx = {
      signal: controller.signal,
      keepalive: (status: number) => {
        if (this.transaction !== transaction) return;
        const changed = transaction.status !== status;
        transaction.status = status;
        if (changed) this.keepalive(transaction);
      },
    };
    this.device.handle(unit, ctx).then(
      (answer) => {
        if (this.transaction !== transaction) return;
        this.endTransaction(false);
        this.send(reply, cid, answer);
      },
      () => {
        if (this.transaction !== transaction) return;
        this.endTransaction(false);
        this.error(reply, cid, HidError.OTHER);
      },
    );
  }

  private keepalive(transaction: Transaction): void {
    if (this.transaction !== transaction) return;
    this.send(transaction.reply, transaction.cid, {
      command: Command.KEEPALIVE,
      payload: Uint8Array.of(transaction.status),
    });
  }

  private endTransaction(abort: boolean): void {
    const t = this.transaction;
    if (!t) return;
    clearInterval(t.timer);
    if (abort) t.controller.abort();
    this.transaction = undefined;
  }

  private allocate(): number {
    for (;;) {
      const bytes = this.options.random(4);
      const cid = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
      if (cid !== 0 && cid !== BROADCAST_CID && !this.channels.has(cid)) {
        this.channels.add(cid);
        return cid;
      }
    }
  }

  /** MSG_TIMEOUT must be answered when the next packet is overdue, not when it finally comes. */
  private armExpiry(reply: ReportSink): void {
    clearTimeout(this.expiryTimer);
    const deadline = this.reassembler.deadline;
    if (deadline === undefined) return;
    this.expiryTimer = setTimeout(
      () => {
        const expired = this.reassembler.expire();
        if (expired) this.refuse(reply, expired);
        else this.armExpiry(reply);
      },
      Math.max(1, deadline - Date.now() + 1),
    );
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
