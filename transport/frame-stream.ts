import { indexOfByte, ON_HEAP_LIMIT } from './bytes.js';
import { TransportError } from './errors.js';
import { decodeFrameAt, FRAME_DELIMITER, MAX_ENCODED_FRAME_LENGTH } from './frame.js';
import type { Unit } from './transport.js';

export interface FrameStreamHandlers {
  onUnit(unit: Unit): void;
  /** A damaged or oversize frame was dropped; decoding goes on from the next 0x00. */
  onError(error: TransportError): void;
}

const INITIAL_BUFFER = 256;
const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * A gathering buffer no decoder holds bytes in, shared by all of them. A frame split across chunks is mostly
 * gathered and decoded within one delivery (a loopback write, a socket read), so a decoder gives its buffer back
 * here once drained instead of keeping it between frames: with a thousand emulated bands that was 1.25 KiB of
 * live heap per band (heap snapshot of test/bench/fleet.ts), and the next decoder to gather takes it without
 * allocating. Its bytes are never read before being written, so sharing it shows nothing of one link to another.
 */
let spare: Uint8Array | undefined;

/** Keeps the larger of `buffer` and the current spare (both within the frame limit, so the cache stays bounded). */
function giveBack(buffer: Uint8Array): void {
  if (
    buffer.length > 0 &&
    buffer.length <= MAX_ENCODED_FRAME_LENGTH &&
    (spare === undefined || buffer.length > spare.length)
  )
    spare = buffer;
}

/**
 * Turns an arbitrary chunking of a frame byte stream back into units, each as soon as its 0x00 arrives, with a
 * memory bound: once a run without 0x00 would exceed the longest valid frame, the run is cut, reported once as
 * FRAME_TOO_LARGE, and everything up to the next 0x00 is discarded.
 *
 * A frame that arrives whole inside one chunk is decoded straight from the chunk; only a frame split across
 * chunks is gathered, once, in a buffer of our own (which grows to the frame limit at most). serialport's
 * DelimiterParser did the splitting before: a stream write per chunk, and a concatenation of its buffer with
 * every chunk on top of ours, which cost more than decoding the frame (test/bench).
 */
export class FrameStreamDecoder {
  readonly #handlers: FrameStreamHandlers;
  readonly #maxEncoded: number;
  /** The start of a frame split across chunks: `#buffer[0, #held)`; EMPTY while nothing is held. */
  #buffer: Uint8Array = EMPTY;
  #held = 0;
  /** Discarding an oversize run until the next 0x00 on the wire. */
  #skipping = false;
  #ended = false;

  constructor(handlers: FrameStreamHandlers, options: { maxEncodedLength?: number } = {}) {
    this.#handlers = handlers;
    this.#maxEncoded = options.maxEncodedLength ?? MAX_ENCODED_FRAME_LENGTH;
  }

  write(chunk: Uint8Array): void {
    if (this.#ended || chunk.length === 0) return;
    let start = 0;
    for (;;) {
      const zero = indexOfByte.call(chunk, FRAME_DELIMITER, start);
      const end = zero === -1 ? chunk.length : zero;
      const length = end - start;
      if (!this.#skipping && length > 0) {
        if (this.#held + length > this.#maxEncoded) {
          const run = this.#held + length;
          this.#release();
          this.#skipping = true;
          this.#handlers.onError(
            new TransportError(
              'FRAME_TOO_LARGE',
              `expected a 0x00 delimiter within ${this.#maxEncoded} bytes, got ${run} bytes without one; discarding up to the next 0x00 (the sender exceeds the frame limit or is not sending frames)`,
            ),
          );
          if (this.#ended) return;
        } else if (zero !== -1 && this.#held === 0) {
          // The whole frame is in this chunk: decode it where it is.
          this.#frame(chunk, start, end);
          if (this.#ended) return;
        } else {
          this.#hold(chunk, start, end);
          if (zero !== -1) {
            this.#heldFrame();
            if (this.#ended) return;
          }
        }
      } else if (zero !== -1 && !this.#skipping && this.#held > 0) {
        this.#heldFrame();
        if (this.#ended) return;
      }
      if (zero === -1) break;
      this.#skipping = false;
      start = zero + 1;
    }
  }

  /** The byte stream ended: a frame left without its delimiter is reported as truncated. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const held = this.#held;
    this.#release();
    if (held > 0) {
      this.#handlers.onError(
        new TransportError(
          'FRAME_TOO_SHORT',
          `expected a 0x00 delimiter after the last frame, got ${held} byte(s) and then the end of the stream; the peer stopped mid-frame, the partial frame is dropped`,
        ),
      );
    }
  }

  /** Drops everything still buffered without reporting it (the link is gone). */
  destroy(): void {
    this.#ended = true;
    this.#release();
  }

  /** Drops what is held and gives the buffer back for the next frame split across chunks (anyone's). */
  #release(): void {
    this.#held = 0;
    if (this.#buffer !== EMPTY) {
      giveBack(this.#buffer);
      this.#buffer = EMPTY;
    }
  }

  /** Decodes the gathered frame, releasing the buffer before the unit is handed on (a handler may gather again). */
  #heldFrame(): void {
    const buffer = this.#buffer;
    const held = this.#held;
    this.#held = 0;
    this.#buffer = EMPTY;
    let unit: Unit;
    try {
      // The unit's payload is a copy (decodeFrameAt), so the buffer is free once this returns.
      unit = decodeFrameAt(buffer, 0, held);
    } catch (error) {
      giveBack(buffer);
      this.#handlers.onError(error as TransportError);
      return;
    }
    giveBack(buffer);
    this.#handlers.onUnit(unit);
  }

  /** Appends `chunk[from, to)` to the frame being gathered. */
  #hold(chunk: Uint8Array, from: number, to: number): void {
    const need = this.#held + (to - from);
    if (need > this.#buffer.length) this.#grow(need);
    if (from === 0 && to === chunk.length) this.#buffer.set(chunk, this.#held);
    // A short run by hand: a view of a small (on-heap) chunk would move it off V8's heap first.
    else if (to - from <= ON_HEAP_LIMIT)
      for (let i = from, at = this.#held; i < to; i++, at++) this.#buffer[at] = chunk[i];
    else this.#buffer.set(chunk.subarray(from, to), this.#held);
    this.#held = need;
  }

  /** A buffer of at least `need` bytes holding what was held: the spare if it is large enough, else a larger one. */
  #grow(need: number): void {
    const old = this.#buffer;
    let grown: Uint8Array;
    if (spare !== undefined && spare.length >= need) {
      grown = spare;
      spare = undefined;
    } else {
      grown = new Uint8Array(Math.min(Math.max(need, old.length * 2, INITIAL_BUFFER), this.#maxEncoded));
    }
    if (this.#held > 0) grown.set(old.subarray(0, this.#held));
    this.#buffer = grown;
    if (old !== EMPTY) giveBack(old);
  }

  /** The frame at `bytes[from, to)`: a range, not a view, which would move a small chunk off V8's heap. */
  #frame(bytes: Uint8Array, from: number, to: number): void {
    let unit: Unit;
    try {
      unit = decodeFrameAt(bytes, from, to);
    } catch (error) {
      this.#handlers.onError(error as TransportError);
      return;
    }
    this.#handlers.onUnit(unit);
  }
}
