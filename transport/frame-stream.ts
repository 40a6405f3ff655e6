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
  /** The start of a frame split across chunks: `#buffer[0, #held)`. */
  #buffer = new Uint8Array(0);
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
          this.#held = 0;
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
            const held = this.#held;
            this.#held = 0;
            this.#frame(this.#buffer, 0, held);
            if (this.#ended) return;
          }
        }
      } else if (zero !== -1 && !this.#skipping && this.#held > 0) {
        const held = this.#held;
        this.#held = 0;
        this.#frame(this.#buffer, 0, held);
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
    this.#held = 0;
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
    this.#held = 0;
    this.#buffer = new Uint8Array(0);
  }

  /** Appends `chunk[from, to)` to the frame being gathered. */
  #hold(chunk: Uint8Array, from: number, to: number): void {
    const need = this.#held + (to - from);
    if (need > this.#buffer.length) {
      const grown = new Uint8Array(Math.min(Math.max(need, this.#buffer.length * 2, INITIAL_BUFFER), this.#maxEncoded));
      grown.set(this.#buffer.subarray(0, this.#held));
      this.#buffer = grown;
    }
    if (from === 0 && to === chunk.length) this.#buffer.set(chunk, this.#held);
    // A short run by hand: a view of a small (on-heap) chunk would move it off V8's heap first.
    else if (to - from <= ON_HEAP_LIMIT)
      for (let i = from, at = this.#held; i < to; i++, at++) this.#buffer[at] = chunk[i];
    else this.#buffer.set(chunk.subarray(from, to), this.#held);
    this.#held = need;
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
