import { connect, createServer, type Socket } from 'node:net';
import { describe } from './base-transport.js';
import { CLOSE_FLUSH_MS, boundedWriter } from './bounded-writes.js';
import { TransportError } from './errors.js';
import { FramedTransport } from './framed-transport.js';
import { listenOn } from './listen.js';
import type { Transport } from './transport.js';

/**
 * Frames over a TCP stream. The socket's end or death is the band's (or host's) disconnection. A peer that
 * stops reading is first not read from, then dropped (transport/bounded-writes.ts).
 */
function socketTransport(name: string, socket: Socket): FramedTransport {
  let failure: Error | undefined;
  const transport = new FramedTransport(name, {
    write: boundedWriter(socket, name, (overrun) => {
      failure = overrun;
      socket.destroy();
    }),
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        // end() flushes what was written first; destroy once that is done, or after CLOSE_FLUSH_MS for a peer
        // that does not read.
        const giveUp = setTimeout(() => socket.destroy(), CLOSE_FLUSH_MS);
        socket.once('close', () => clearTimeout(giveUp));
        socket.end(() => socket.destroy());
      }),
  });
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => transport.receiveBytes(chunk));
  socket.on('error', (error) => {
    // The overrun that made us destroy the socket stays the reason.
    if (!(failure instanceof TransportError)) failure = error;
  });
  socket.on('end', () => socket.end());
  socket.on('close', () =>
    transport.linkLost(
      failure instanceof TransportError
        ? failure
        : new TransportError(
            'DISCONNECTED',
            `expected ${name} to stay connected, ${failure ? `it failed: ${describe(failure)}` : 'the peer closed it'}; reconnect`,
            { cause: failure },
          ),
    ),
  );
  return transport;
}

export async function connectTcp(host: string, port: number): Promise<Transport> {
  const name = `tcp:${host}:${port}`;
  const socket = connect({ host, port });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    socket.destroy();
    throw new TransportError(
      'OPEN_FAILED',
      `expected a band listening at ${name}, got ${describe(error)}; start it (bandsim) or check host and port`,
      {
        cause: error,
      },
    );
  }
  return socketTransport(name, socket);
}

export interface TcpServer {
  readonly address: { host: string; port: number };
  /** Stops listening and closes every connection it accepted. */
  close(): Promise<void>;
}

/** Band side: every accepted connection becomes a Transport handed to onConnection. */
export async function listenTcp(
  host: string,
  port: number,
  onConnection: (transport: Transport) => void,
): Promise<TcpServer> {
  const live = new Set<Transport>();
  const server = createServer((socket) => {
    const transport = socketTransport(`tcp:${socket.remoteAddress}:${socket.remotePort}`, socket);
    live.add(transport);
    transport.onClose(() => live.delete(transport));
    onConnection(transport);
  });
  await listenOn(server, host, port, `tcp:${host}:${port}`);
  const bound = server.address();
  if (bound === null || typeof bound === 'string')
    throw new TransportError('OPEN_FAILED', `expected a TCP address for ${host}:${port}, got ${String(bound)}`);
  return {
    address: { host: bound.address, port: bound.port },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...live].map((t) => t.close()));
      await closed;
    },
  };
}
