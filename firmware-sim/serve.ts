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
import { OneTransaction, type Transaction } from './one-transaction.js';

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
  const gate = OneTransaction.of(device);
  const clock = options.clock ?? device.clock ?? new SystemClock();
  let mine: Transaction | undefined;
  const send = (unit: Unit) => {
    if (transport.isOpen) transport.send(unit).catch(() => undefined);
  };
  const error = (code: number) => send({ command: Command.ERROR, payload: Uint8Array.of(code) });

  const offUnit = transport.onUnit((unit) => {
    if (unit.command === Command.CANCEL) {
      mine?.cancel();
      return;
    }
    if (unit.command === Command.INIT) {
      if (unit.payload.length !== INIT_NONCE_SIZE) return error(HidError.INVALID_LEN);
      mine?.abandon();
      mine = undefined;
      return send({
        command: Command.INIT,
        payload: initReply(unit.payload, FRAMED_CHANNEL, { cbor: device.hostsCtap2 }),
      });
    }
    const transaction = gate.begin(unit, {
      clock,
      answer: (answer) => {
        if (mine === transaction) mine = undefined;
        send(answer);
      },
      keepalive: (status) => send({ command: Command.KEEPALIVE, payload: Uint8Array.of(status) }),
    });
    if (!transaction) return error(HidError.CHANNEL_BUSY);
    if (!runsBesideTransaction(unit.command)) mine = transaction;
  });
  const offEvent = device.onEvent(send);
  const offClose = transport.onClose(() => mine?.abandon());
  return {
    stop() {
      offUnit();
      offEvent();
      offClose();
      mine?.abandon();
      mine = undefined;
    },
  };
}
