import { openTransport, recordTransport, type Transport } from '../../transport/index.js';
import { BandClient } from '../band-client.js';
import type { CliContext } from './command.js';
import { openLoopbackBand } from './loopback-band.js';

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
    uri === 'loopback' || uri.startsWith('loopback?') ? await openLoopbackBand(uri) : await openTransport(uri);
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
