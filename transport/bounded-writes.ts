import { TransportError } from './errors.js';

/**
 * Backpressure on a byte stream (TCP socket, serial port), the same policy on band and host side
 * (docs/protocol.md, "Backpressure"):
 * - while the stream holds more unwritten bytes than its high-water mark (write() returned false), stop
 *   reading from the peer: a peer that sends requests but does not read the answers is not served more
 *   until it reads (its own send buffer fills and it blocks, as TCP intends);
 * - the answers to what was already read, and unsolicited events, still queue; past
 *   MAX_UNREAD_BYTES the peer is not reading at all and the write fails with PEER_NOT_READING, and the
 *   owner decides what that means (TCP drops the connection, serial drops the unit).
 * So memory per connection is bounded by MAX_UNREAD_BYTES plus one read chunk's answers, whatever the peer does.
 */
export const MAX_UNREAD_BYTES = 1024 * 1024;

/**
 * close() flushes what was written before it releases the wire, but waits no longer than this: a peer that does
 * not read would otherwise hold a closing band (or host) forever.
 */
export const CLOSE_FLUSH_MS = 1_000;

/** The part of a Node stream (net.Socket, SerialPort) the policy needs. */
export interface BackpressuredStream {
  readonly writableLength: number;
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
  pause(): unknown;
  resume(): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * Returns the write of a ByteLink over `stream`. `onOverrun` hears the PEER_NOT_READING error before the write
 * is rejected with it.
 */
export function boundedWriter(
  stream: BackpressuredStream,
  name: string,
  onOverrun: (error: TransportError) => void,
  limit = MAX_UNREAD_BYTES,
): (bytes: Uint8Array) => Promise<void> {
  let paused = false;
  return (bytes) => {
    if (stream.writableLength + bytes.length > limit) {
      const error = new TransportError(
        'PEER_NOT_READING',
        `expected ${name} to read what was sent to it, ${stream.writableLength} bytes wait unread (at most ${limit}); the peer must read its answers`,
      );
      onOverrun(error);
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      const flowing = stream.write(bytes, (error) => (error ? reject(error) : resolve()));
      if (flowing || paused) return;
      paused = true;
      stream.pause();
      stream.once('drain', () => {
        paused = false;
        stream.resume();
      });
    });
  };
}
