// Composition root: builds an emulated band inside the bandctl process. The only host/ module besides the
// demo that may import firmware-sim (test/architecture.test.ts holds that line).
import { BandEmulator, serveBand, systemWorld, type Preset } from '../../firmware-sim/index.js';
import { loopbackPair, type Transport } from '../../transport/index.js';
import { UsageError } from './exit-codes.js';

const KNOWN = new Set(['preset', 'user', 'serial', 'seed', 'seos', 'auto-presence']);

/**
 * `loopback[?preset=blank|enrolled|authenticated&user=NAME&serial=SERIAL&seed=S&seos=1&auto-presence=1]`:
 * a band that lives as long as this command, with its debug link on, reached through the real frame codec.
 */
export async function openLoopbackBand(uri: string): Promise<Transport> {
  const query = new URLSearchParams(uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '');
  for (const key of query.keys()) {
    if (!KNOWN.has(key)) throw new UsageError(`loopback: unknown option '${key}'; expected ${[...KNOWN].join(', ')}`);
  }
  const kind = query.get('preset') ?? 'blank';
  if (kind !== 'blank' && kind !== 'enrolled' && kind !== 'authenticated') {
    throw new UsageError(`loopback: expected preset=blank|enrolled|authenticated, got '${kind}'`);
  }
  const userName = query.get('user') ?? undefined;
  if (kind !== 'blank' && !userName) throw new UsageError(`loopback: preset=${kind} needs user=NAME`);
  const preset: Preset = { kind, userName };
  const emulator = new BandEmulator({
    world: systemWorld({ seed: query.get('seed') ?? undefined }),
    serialNumber: query.get('serial') ?? 'AAAH-00125',
    seos: query.get('seos') === '1',
    autoPresence: query.get('auto-presence') === '1',
    debugLink: true,
    preset,
  });
  const [host, band] = loopbackPair({ names: ['loopback:host', 'loopback:band'] });
  const serving = serveBand(emulator, band);
  host.onClose(() => {
    serving.stop();
    emulator.close();
  });
  return host;
}
