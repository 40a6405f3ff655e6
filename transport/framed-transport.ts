import { BaseTransport } from './base-transport.js';
import { TransportError } from './errors.js';
import { encodeFrame } from './frame.js';
import { FrameStreamDecoder, type FrameStreamHandlers } from './frame-stream.js';
import type { Unit } from './transport.js';

/** The least a byte wire (serial port, TCP socket, in-process pipe) has to offer. */
export interface ByteLink {
  /** Resolves once the bytes are handed to the wire; rejects if the wire refuses them. */
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes what was written, then releases the wire. */
  close(): Promise<void>;
}

/**
 * A Transport over any byte wire using the COBS/CRC frame. The owner of the wire feeds incoming bytes
 * to receiveBytes() and reports the wire's end with linkLost(); serial, TCP and loopback differ only
 * in how they obtain a ByteLink.
 */
export class FramedTransport extends BaseTransport {
  readonly #link: ByteLink;
  readonly #decoder: FrameStreamDecoder;

  /**
   * The decoder's handlers as one object with shared methods rather than two closures and a close listener per
   * transport: a fleet of a thousand emulated bands keeps two of these per band (heap snapshot, test/bench/fleet.ts).
   */
  static readonly #Handlers = class implements FrameStreamHandlers {
    constructor(readonly transport: FramedTransport) {}

    onUnit(unit: Unit): void {
      this.transport.deliverUnit(unit);
    }

    onError(error: TransportError): void {
      this.transport.reportFrameError(error);
    }
  };

  constructor(name: string, link: ByteLink) {
    super(name);
    this.#link = link;
    this.#decoder = new FrameStreamDecoder(new FramedTransport.#Handlers(this));
  }

  /** Bytes as they came off the wire, in any chunking. */
  receiveBytes(chunk: Uint8Array): void {
    if (!this.isClosingOrClosed) this.#decoder.write(chunk);
  }

  /**
   * Puts bytes on the wire exactly as given: no framing, no checks. For conformance tests that must send
   * what a valid sender never would (a bad CRC, an oversize frame, garbage before a delimiter); ordinary
   * callers send units.
   */
  writeBytes(bytes: Uint8Array): Promise<void> {
    if (this.isClosingOrClosed) {
      return Promise.reject(
        new TransportError('CLOSED', `expected ${this.name} to be open, it is closed; open a new transport`),
      );
    }
    return this.track(this.#link.write(Uint8Array.from(bytes)));
  }

  /** The wire ended without a local close(): `reason` is what the caller will be told. */
  linkLost(reason: TransportError): void {
    this.markClosed(reason);
  }

  /** Once the link has ended, whatever part of a frame the decoder still holds goes with it. */
  protected override markClosed(reason: TransportError | undefined): void {
    super.markClosed(reason);
    this.#decoder.destroy();
  }

  protected sendUnit(unit: Unit): Promise<void> {
    return this.#link.write(encodeFrame(unit));
  }

  protected closeLink(): Promise<void> {
    return this.#link.close();
  }
}
