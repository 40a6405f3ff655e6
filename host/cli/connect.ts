import { openTransport, recordTransport, type Transport } from '../../transport/index.js';
import { BandClient } from '../band-client.js';
import type { CliContext } from './command.js';

/**
 * Opens the band named by --transport, checks its protocol version, runs `fn`, and always closes the link,
 * so a scripted rig never inherits a half-open port.
 */
export async function withBand<T>(
  ctx: CliContext,
  fn: (band: BandClient, transport: Transport) => Promise<T>,
): Promise<T> {
  const { transport: uri, record, timeoutMs, heartbeatMs } = ctx.global;
  let transport =
    uri === 'loopback' || uri.startsWith('loopback?') ? await openLoopback(uri) : await openTransport(uri);
  if (record) transport = recordTransport(transport, record);
  let band: BandClient | undefined;
  try {
    // A wait on the person checks the band every --heartbeat ms and gives its PING --timeout, as every call gets.
    band = await BandClient.connect(transport, { timeoutMs, heartbeat: { intervalMs: heartbeatMs, timeoutMs } });
    return await fn(band, transport);
  } finally {
    band?.close();
    await transport.close().catch(() => undefined);
  }
}

/**
 * The in-process band, loaded only when asked for: it is the whole emulator (firmware-sim, its CTAP2 authenticator
 * and attestation), about a third of what bandctl would otherwise load before every command on a real transport.
 */
export async function openLoopback(uri: string): Promise<Transport> {
  const { openLoopbackBand } = await import('./loopback-band.js');
  return openLoopbackBand(uri);
}
