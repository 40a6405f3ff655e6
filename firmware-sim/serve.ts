import { Command, HidError, INIT_NONCE_SIZE, type Transport, type Unit } from '../transport/index.js';
import type { BandDevice } from './device.js';
import { initReply } from './init-reply.js';

/** Framed links (serial, TCP, loopback) have no CTAPHID channels; INIT still answers, with this one. */
const FRAMED_CHANNEL = 1;

export interface Serving {
  /** Stops serving: the in-flight request is cancelled, event forwarding stops. The transport stays open. */
  stop(): void;
}

/**
 * Serves a band over a framed transport (loopback, serial, TCP): one request at a time (DEBUG excepted), CANCEL aborts it,
 * a request while one runs gets CTAPHID ERROR CHANNEL_BUSY, and band events are forwarded as they happen.
 * A failed write (the host went away) is dropped: the band keeps running for the next host.
 */
export function serveBand(device: BandDevice, transport: Transport): Serving {
  let inFlight: AbortController | undefined;
  const send = (unit: Unit) => {
    if (transport.isOpen) transport.send(unit).catch(() => undefined);
  };
  const error = (code: number) => send({ command: Command.ERROR, payload: Uint8Array.of(code) });

  const offUnit = transport.onUnit((unit) => {
    if (unit.command === Command.CANCEL) {
      inFlight?.abort();
      return;
    }
    if (unit.command === Command.INIT) {
      if (unit.payload.length !== INIT_NONCE_SIZE) return error(HidError.INVALID_LEN);
      inFlight?.abort();
      return send({
        command: Command.INIT,
        payload: initReply(unit.payload, FRAMED_CHANNEL, { cbor: device.hostsCtap2 }),
      });
    }
    if (unit.command === Command.DEBUG) {
      // The debug link stands for the user's hands, which act while the band waits for them (a FIDO2
      // request waiting for a tap), so it is exempt from one-transaction-at-a-time.
      const ctx = { signal: new AbortController().signal, keepalive: () => undefined };
      device.handle(unit, ctx).then(send, () => error(HidError.OTHER));
      return;
    }
    if (inFlight) return error(HidError.CHANNEL_BUSY);
    const controller = new AbortController();
    inFlight = controller;
    const ctx = {
      signal: controller.signal,
      keepalive: (status: number) => {
        if (inFlight === controller) send({ command: Command.KEEPALIVE, payload: Uint8Array.of(status) });
      },
    };
    device
      .handle(unit, ctx)
      .then(send, () => error(HidError.OTHER))
      .finally(() => {
        if (inFlight === controller) inFlight = undefined;
      });
  });
  const offEvent = device.onEvent(send);
  const offClose = transport.onClose(() => inFlight?.abort());
  return {
    stop() {
      offUnit();
      offEvent();
      offClose();
      inFlight?.abort();
    },
  };
}
