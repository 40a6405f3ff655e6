import { openTransport, type OpenTransportOptions } from '../transport/index.js';
import { BandClient, type BandClientOptions } from './band-client.js';
import type { CallOptions } from './channel.js';

/** How `openBand` reaches the band and talks to it. */
export interface OpenBandOptions extends BandClientOptions, CallOptions {
  /** Wire options (record to a file, HID and UDP details, an in-process loopback band). */
  transport?: OpenTransportOptions;
}

/**
 * Opens the band at `uri` — `serial:/dev/ttyACM0`, `hid:`, `udp-hid:127.0.0.1:8111`, `tcp:127.0.0.1:8112` (see
 * `bandctl --help` for every form) — and checks it speaks this host's band protocol (GetInfo). The client owns
 * the link: `close()` releases it, and `await band.closed()` waits until it is released.
 *
 * @throws TransportError when the link cannot be opened; BandClientError (`UNSUPPORTED_VERSION`, `TIMEOUT`, ...)
 *   when the band does not answer as a band.
 */
export async function openBand(uri: string, options: OpenBandOptions = {}): Promise<BandClient> {
  const { transport: transportOptions, ...clientOptions } = options;
  const transport = await openTransport(uri, transportOptions);
  // A failed connect closes what it owns: the transport.
  return BandClient.connect(transport, { ...clientOptions, ownsTransport: true });
}
