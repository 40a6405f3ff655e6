import { MAX_UNREAD_BYTES } from './bounded-writes.js';
import { TransportError } from './errors.js';
import { FramedTransport } from './framed-transport.js';
import type { Transport } from './transport.js';

export interface LoopbackOptions {
  /** Wire chunk size: frames are cut into chunks this long so the decoder reassembles them. Default 64. */
  chunkSize?: number;
  /** Names of the two sides. Default `loopback:host` and `loopback:band`. */
  names?: [string, string];
  /** Runs a delivery later. Default setImmediate, which keeps sends asynchronous and in order. */
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

class LoopbackSide extends FramedTransport implements LoopbackTransport {
  bytesSent = 0;
  bytesReceived = 0;

  injectBytes(bytes: Uint8Array): void {
    this.receiveBytes(bytes);
  }

  override receiveBytes(chunk: Uint8Array): void {
    if (this.isClosingOrClosed) return;
    this.bytesReceived += chunk.length;
    super.receiveBytes(chunk);
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
  const schedule = options.schedule ?? ((task: () => void) => void setImmediate(task));
  const sides: LoopbackSide[] = [];

  const linkTo = (self: number) => {
    const peer = () => sides[1 - self];
    // Bytes sent but not yet delivered: the same bound a socket's unread bytes have (transport/bounded-writes.ts).
    let unread = 0;
    return {
      write(bytes: Uint8Array): Promise<void> {
        if (unread + bytes.length > MAX_UNREAD_BYTES) {
          return Promise.reject(
            new TransportError(
              'PEER_NOT_READING',
              `expected ${peer().name} to take what was sent to it, ${unread} bytes wait undelivered (at most ${MAX_UNREAD_BYTES}); await send() before sending more`,
            ),
          );
        }
        unread += bytes.length;
        sides[self].bytesSent += bytes.length;
        return new Promise<void>((resolve, reject) => {
          schedule(() => {
            unread -= bytes.length;
            const other = peer();
            if (!other.isOpen) {
              reject(
                new TransportError(
                  'DISCONNECTED',
                  `expected ${other.name} to receive, it has closed; open a new loopback pair`,
                ),
              );
              return;
            }
            // A frame that fits one chunk goes as it is: a view of a small (on-heap) array would move it off V8's heap.
            if (bytes.length <= chunkSize) other.receiveBytes(bytes);
            else
              for (let at = 0; at < bytes.length; at += chunkSize)
                other.receiveBytes(bytes.subarray(at, at + chunkSize));
            resolve();
          });
        });
      },
      close(): Promise<void> {
        // Scheduled behind the writes already queued, as a socket's FIN follows its data.
        return new Promise<void>((resolve) => {
          schedule(() => {
            const other = peer();
            other.linkLost(
              new TransportError(
                'DISCONNECTED',
                `expected ${sides[self].name} to stay connected, it closed; open a new loopback pair`,
              ),
            );
            resolve();
          });
        });
      },
    };
  };

  sides.push(new LoopbackSide(nameA, linkTo(0)), new LoopbackSide(nameB, linkTo(1)));
  return [sides[0], sides[1]];
}
