import { DelimiterParser } from '@serialport/parser-delimiter';
import { TransportError } from './errors.js';
import { decodeFrame, FRAME_DELIMITER, MAX_ENCODED_FRAME_LENGTH } from './frame.js';
import type { Unit } from './transport.js';

export interface FrameStreamHandlers {
  onUnit(unit: Unit): void;
  /** A damaged or oversize frame was dropped; decoding goes on from the next 0x00. */
  onError(error: TransportError): void;
}

/**
 * Turns an arbitrary chunking of a frame byte stream back into units. Splitting is delegated to
 * serialport's DelimiterParser; this class adds decoding, error reporting and a memory bound.
 *
 * The memory bound cannot be enforced inside DelimiterParser (it buffers without limit), so bytes are
 * filtered before they reach it: once a run without 0x00 would exceed the longest valid frame, the run
 * is cut, reported once as FRAME_TOO_LARGE, and everything up to the next 0x00 is discarded. The part
 * already handed to the parser is flushed with a delimiter of our own and that segment is dropped by
 * index, which stays correct whether the parser emits synchronously or on a later tick.
 */
export class FrameStreamDecoder {
  readonly #handlers: FrameStreamHandlers;
  readonly #maxEncoded: number;
  readonly #parser = new DelimiterParser({
    delimiter: [FRAME_DELIMITER],
    includeDelimiter: false,
    // Object mode so empty segments still arrive as events and segment indexes stay aligned.
    readableObjectMode: true,
  });
  /** Bytes handed to the parser since the last delimiter handed to it. */
  #run = 0;
  /** Discarding an oversize run until the next 0x00 on the wire. */
  #skipping = false;
  #segmentsSent = 0;
  #segmentsSeen = 0;
  readonly #dropped = new Set<number>();
  #tailIndex = -1;
  #ended = false;

  constructor(handlers: FrameStreamHandlers, options: { maxEncodedLength?: number } = {}) {
    this.#handlers = handlers;
    this.#maxEncoded = options.maxEncodedLength ?? MAX_ENCODED_FRAME_LENGTH;
    this.#parser.on('data', (segment: Buffer) => this.#segment(segment));
  }

  write(chunk: Uint8Array): void {
    if (this.#ended || chunk.length === 0) return;
    const pieces: Uint8Array[] = [];
    let start = 0;
    for (;;) {
      const zero = chunk.indexOf(FRAME_DELIMITER, start);
      const end = zero === -1 ? chunk.length : zero;
      const length = end - start;
      if (!this.#skipping && length > 0) {
        if (this.#run + length > this.#maxEncoded) {
          this.#handlers.onError(
            new TransportError(
              'FRAME_TOO_LARGE',
              `expected a 0x00 delimiter within ${this.#maxEncoded} bytes, got ${this.#run + length} bytes without one; discarding up to the next 0x00 (the sender exceeds the frame limit or is not sending frames)`,
            ),
          );
          if (this.#run > 0) {
            this.#dropped.add(this.#segmentsSent++);
            pieces.push(DELIMITER);
          }
          this.#run = 0;
          this.#skipping = true;
        } else {
          pieces.push(chunk.subarray(start, end));
          this.#run += length;
        }
      }
      if (zero === -1) break;
      if (this.#skipping) {
        this.#skipping = false;
      } else {
        pieces.push(DELIMITER);
        this.#segmentsSent++;
        this.#run = 0;
      }
      start = zero + 1;
    }
    if (pieces.length > 0) this.#parser.write(Buffer.concat(pieces));
  }

  /** The byte stream ended: a frame left without its delimiter is reported as truncated. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#tailIndex = this.#segmentsSent;
    this.#parser.end();
  }

  /** Drops everything still buffered without reporting it (the link is gone). */
  destroy(): void {
    this.#ended = true;
    this.#parser.removeAllListeners('data');
    this.#parser.destroy();
  }

  #segment(segment: Buffer): void {
    const index = this.#segmentsSeen++;
    if (this.#dropped.delete(index) || segment.length === 0) return;
    if (index === this.#tailIndex) {
      this.#handlers.onError(
        new TransportError(
          'FRAME_TOO_SHORT',
          `expected a 0x00 delimiter after the last frame, got ${segment.length} byte(s) and then the end of the stream; the peer stopped mid-frame, the partial frame is dropped`,
        ),
      );
      return;
    }
    let unit: Unit;
    try {
      unit = decodeFrame(segment);
    } catch (error) {
      this.#handlers.onError(error as TransportError);
      return;
    }
    this.#handlers.onUnit(unit);
  }
}

const DELIMITER = Uint8Array.of(FRAME_DELIMITER);
