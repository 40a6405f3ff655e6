import { MAX_UNREAD_BYTES } from './bounded-writes.js';
import { TransportError } from './errors.js';
import { PendingOperation } from './base-transport.js';
import { encodeFrame } from './frame.js';
import { FramedTransport, type ByteLink } from './framed-transport.js';
import type { Transport, Unit } from './transport.js';

export interface LoopbackOptions {
  /** Wire chunk size: frames are cut into chunks this long so the decoder reassembles them. Default 64. */
  chunkSize?: number;
  /** Names of the two sides. Default `loopback:host` and `loopback:band`. */
  names?: [string, string];
  /**
   * Runs a delivery later. Default setImmediate, which keeps sends asynchronous and in order. Each task delivers the
   * oldest write still queued, so a scheduler decides when deliveries happen, not their order: the wire keeps sends
   * in order whatever order the tasks run in.
   */
  schedule?: (task: () => void) => void;
}

/** One end of an in-process wire. */
export interface LoopbackTransport extends Transport {
  /** Feeds raw bytes into this side's incoming stream, as if they had come off the wire (for garbage tests). */
  injectBytes(bytes: Uint8Array): void;
  /** Wire bytes this side has sent (frames, delimiters included). */
  readonly bytesSent: number;
  /** Wire bytes this side has received, injected bytes included. */
  readonly bytesReceived: number;
}

/**
 * Bytes and closes on their way across one pair, both directions, in the order they were sent. One task is
 * scheduled per delivery and takes the oldest one, so a write in flight is one object in this queue, not a closure,
 * a context and a second, tracking promise (~0.5 KB a write with a thousand emulated bands in flight: heap snapshot
 * of test/bench/fleet.ts).
 */
class LoopbackWire {
  #oldest: Delivery | undefined;
  #newest: Delivery | undefined;
  /** The task a custom `schedule` is given, made once per pair; the default passes the wire to setImmediate. */
  readonly #task: (() => void) | undefined;

  constructor(
    readonly chunkSize: number,
    readonly schedule: ((task: () => void) => void) | undefined,
  ) {
    this.#task = schedule === undefined ? undefined : () => this.deliverOldest();
  }

  enqueue(delivery: Delivery): void {
    if (this.#newest === undefined) this.#oldest = delivery;
    else this.#newest.later = delivery;
    this.#newest = delivery;
    if (this.#task === undefined) setImmediate(deliverOldestOf, this);
    else this.schedule!(this.#task);
  }

  deliverOldest(): void {
    const delivery = this.#oldest;
    if (delivery === undefined) return;
    this.#oldest = delivery.later;
    if (this.#oldest === undefined) this.#newest = undefined;
    delivery.later = undefined;
    delivery.from.deliver(delivery);
  }
}

function deliverOldestOf(wire: LoopbackWire): void {
  wire.deliverOldest();
}

/** Bytes (or, without bytes, the close) one side sent: the operation its promise settles with, and its place in the wire's queue. */
class Delivery extends PendingOperation {
  /** The delivery sent after this one, on either side. */
  later: Delivery | undefined = undefined;

  constructor(
    readonly from: LoopbackSide,
    readonly bytes: Uint8Array | undefined,
  ) {
    super();
  }
}

/** The ByteLink FramedTransport writes through (writeBytes, close): it hands everything to its side. */
class LoopbackLink implements ByteLink {
  side!: LoopbackSide;

  write(bytes: Uint8Array): Promise<void> {
    return this.side.queueBytes(bytes, false);
  }

  close(): Promise<void> {
    return this.side.queueClose();
  }
}

class LoopbackSide extends FramedTransport implements LoopbackTransport {
  bytesSent = 0;
  bytesReceived = 0;
  /** Bytes sent but not yet delivered: the same bound a socket's unread bytes have (transport/bounded-writes.ts). */
  #unread = 0;
  readonly #wire: LoopbackWire;
  peer!: LoopbackSide;

  constructor(name: string, wire: LoopbackWire, link: LoopbackLink) {
    super(name, link);
    link.side = this;
    this.#wire = wire;
  }

  injectBytes(bytes: Uint8Array): void {
    this.receiveBytes(bytes);
  }

  override receiveBytes(chunk: Uint8Array): void {
    if (this.isClosingOrClosed) return;
    this.bytesReceived += chunk.length;
    super.receiveBytes(chunk);
  }

  /** A send settles with its delivery: one pending operation per unit instead of a write promise tracked by another. */
  protected override sendTracked(unit: Unit): Promise<void> {
    return this.queueBytes(encodeFrame(unit), true);
  }

  /** Puts bytes on the wire; `tied`: the promise rejects with the close reason if the link goes first (send). */
  queueBytes(bytes: Uint8Array, tied: boolean): Promise<void> {
    if (this.#unread + bytes.length > MAX_UNREAD_BYTES) {
      return Promise.reject(
        new TransportError(
          'PEER_NOT_READING',
          `expected ${this.peer.name} to take what was sent to it, ${this.#unread} bytes wait undelivered (at most ${MAX_UNREAD_BYTES}); await send() before sending more`,
        ),
      );
    }
    const delivery = new Delivery(this, bytes);
    if (tied) this.startOperation(delivery);
    this.#unread += bytes.length;
    this.bytesSent += bytes.length;
    this.#wire.enqueue(delivery);
    return delivery.promise;
  }

  /** Scheduled behind the writes already queued, as a socket's FIN follows its data. */
  queueClose(): Promise<void> {
    const delivery = new Delivery(this, undefined);
    this.#wire.enqueue(delivery);
    return delivery.promise;
  }

  /** Hands one of this side's writes (or its close) to the peer and settles it. */
  deliver(delivery: Delivery): void {
    const other = this.peer;
    const bytes = delivery.bytes;
    if (bytes === undefined) {
      other.linkLost(
        new TransportError(
          'DISCONNECTED',
          `expected ${this.name} to stay connected, it closed; open a new loopback pair`,
        ),
      );
      this.settleOperation(delivery);
      return;
    }
    this.#unread -= bytes.length;
    if (!other.isOpen) {
      this.settleOperation(
        delivery,
        new TransportError(
          'DISCONNECTED',
          `expected ${other.name} to receive, it has closed; open a new loopback pair`,
        ),
      );
      return;
    }
    const chunkSize = this.#wire.chunkSize;
    // A frame that fits one chunk goes as it is: a view of a small (on-heap) array would move it off V8's heap.
    if (bytes.length <= chunkSize) other.receiveBytes(bytes);
    else for (let at = 0; at < bytes.length; at += chunkSize) other.receiveBytes(bytes.subarray(at, at + chunkSize));
    this.settleOperation(delivery);
  }
}

/**
 * Two transports joined in process. Every unit goes through the real frame encoder, is cut into
 * chunks, and is decoded by the real stream decoder on the other side, so loopback tests exercise the
 * code path serial and TCP use. Closing either side closes both: the closer hears onClose(undefined),
 * the peer hears onClose(DISCONNECTED) after every byte sent before the close has reached it.
 */
export function loopbackPair(options: LoopbackOptions = {}): [LoopbackTransport, LoopbackTransport] {
  const chunkSize = options.chunkSize ?? 64;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new TransportError(
      'BAD_URI',
      `expected a loopback chunkSize of at least 1, got ${chunkSize}; omit it for the default 64`,
    );
  }
  const [nameA, nameB] = options.names ?? ['loopback:host', 'loopback:band'];
  const wire = new LoopbackWire(chunkSize, options.schedule);
  const a = new LoopbackSide(nameA, wire, new LoopbackLink());
  const b = new LoopbackSide(nameB, wire, new LoopbackLink());
  a.peer = b;
  b.peer = a;
  return [a, b];
}
