import type { Server } from 'node:net';
import { describe } from './base-transport.js';
import { TransportError } from './errors.js';

/**
 * Binds a band-side stream server (TCP, USB/IP) and turns a failure into OPEN_FAILED naming `what`; afterwards
 * accept errors (EMFILE and the like) must not crash the band, so the server keeps listening through them.
 */
export async function listenOn(server: Server, host: string, port: number, what: string): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw new TransportError(
      'OPEN_FAILED',
      `expected to listen on ${what}, got ${describe(error)}; pick a free port (0 for any)`,
      { cause: error },
    );
  }
  server.on('error', () => undefined);
}
