import {
  Command,
  HidError,
  INIT_NONCE_SIZE,
  runsBesideTransaction,
  type Transport,
  type Unit,
} from '../transport/index.js';
import { SystemClock, type Clock } from './clock.js';
import type { BandDevice } from './band-device.js';
import { initReply } from './init-reply.js';
import { OneTransaction, type Transaction, type TransactionHooks } from './one-transaction.js';

/** Framed links (serial, TCP, loopback) have no CTAPHID channels; INIT still answers, with this one. */
const FRAMED_CHANNEL = 1;

export interface Serving {
  /** Stops serving: the in-flight request is cancelled, event forwarding stops. The transport stays open. */
  stop(): void;
}

export interface ServeOptions {
  /** The band's clock, for KEEPALIVE timing. Default the device's own (`device.clock`), else wall time. */
  clock?: Clock;
}

/**
 * Serves a band over a framed transport (loopback, serial, TCP): requests go through the band's one
 * transaction gate (firmware-sim/one-transaction.ts: CHANNEL_BUSY while another runs, the debug link
 * exempt, KEEPALIVE while it runs), CANCEL cancels this link's request, INIT abandons it, and band events
 * are forwarded as they happen. A failed write (the host went away) is dropped: the band keeps running
 * for the next host.
 */
export function serveBand(device: BandDevice, transport: Transport, options: ServeOptions = {}): Serving {
  return new FramedServing(device, transport, options.clock ?? device.clock ?? new SystemClock());
}

/**
 * One served link: its own TransactionHooks for every request, so a request in flight costs no closures of its
 * own (a fleet serves a thousand links in one process).
 */
class FramedServing implements Serving, TransactionHooks {
  private readonly gate: OneTransaction;
  private mine: Transaction | undefined;
  private readonly offUnit: () => void;
  private readonly offEvent: () => void;
  private readonly offClose: () => void;

  constructor(
    private readonly device: BandDevice,
    private readonly transport: Transport,
    readonly clock: Clock,
  ) {
    this.gate = OneTransaction.of(device);
    this.offUnit = transport.onUnit((unit) => this.received(unit));
    this.offEvent = device.onEvent((unit) => this.send(unit));
    this.offClose = transport.onClose(() => this.mine?.abandon());
  }

  stop(): void {
    this.offUnit();
    this.offEvent();
    this.offClose();
    this.mine?.abandon();
    this.mine = undefined;
  }

  answer(unit: Unit, transaction: Transaction): void {
    if (this.mine === transaction) this.mine = undefined;
    this.send(unit);
  }

  keepalive(status: number): void {
    this.send({ command: Command.KEEPALIVE, payload: Uint8Array.of(status) });
  }

  private received(unit: Unit): void {
    if (unit.command === Command.CANCEL) {
      this.mine?.cancel();
      return;
    }
    if (unit.command === Command.INIT) {
      if (unit.payload.length !== INIT_NONCE_SIZE) return this.error(HidError.INVALID_LEN);
      this.mine?.abandon();
      this.mine = undefined;
      return this.send({
        command: Command.INIT,
        payload: initReply(unit.payload, FRAMED_CHANNEL, { cbor: this.device.hostsCtap2 }),
      });
    }
    const transaction = this.gate.begin(unit, this);
    if (!transaction) return this.error(HidError.CHANNEL_BUSY);
    if (!runsBesideTransaction(unit.command)) this.mine = transaction;
  }

  private error(code: number): void {
    this.send({ command: Command.ERROR, payload: Uint8Array.of(code) });
  }

  /** A failed write (the host went away) is dropped: the band keeps running for the next host. */
  private send(unit: Unit): void {
    if (this.transport.isOpen) this.transport.send(unit).catch(ignore);
  }
}

function ignore(): void {}
