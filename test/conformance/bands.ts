import {
  BandEmulator,
  CtapHidDevice,
  SystemClock,
  serveBand,
  testWorld,
  type BandDevice,
} from '../../firmware-sim/index.js';
import { connectUdpHid, listenUdpHid, loopbackPair, type Transport, type UdpHidServer } from '../../transport/index.js';

export interface BandOptions {
  seed?: string;
  debugLink?: boolean;
  fido2?: boolean;
  /** Puts a faulty firmware layer around the emulator (the broken-band tests). */
  wrap?: (emulator: BandEmulator) => BandDevice;
}

function emulator(options: BandOptions, seed: string): BandEmulator {
  return new BandEmulator({
    world: testWorld({ seed }),
    serialNumber: 'AAAH-00125',
    debugLink: options.debugLink ?? true,
    fido2: options.fido2,
  });
}

/** A fresh emulated band behind a fresh loopback wire for every link the suite opens. */
export function freshLoopbackBands(options: BandOptions = {}): () => Promise<Transport> {
  let n = 0;
  return async () => {
    const band = emulator(options, `${options.seed ?? 'conformance'}-${n++}`);
    const [host, side] = loopbackPair({ names: ['loopback:host', 'loopback:band'] });
    const serving = serveBand(options.wrap ? options.wrap(band) : band, side);
    host.onClose(() => {
      serving.stop();
      band.close();
    });
    return host;
  };
}

/** One emulated band for the whole run (its state carries over, as a real band's does), one loopback wire per link. */
export function sharedLoopbackBand(options: BandOptions = {}): { open: () => Promise<Transport>; close: () => void } {
  const band = emulator(options, options.seed ?? 'conformance-shared');
  const device = options.wrap ? options.wrap(band) : band;
  return {
    open: async () => {
      const [host, side] = loopbackPair({ names: ['loopback:host', 'loopback:band'] });
      const serving = serveBand(device, side);
      host.onClose(() => serving.stop());
      return host;
    },
    close: () => band.close(),
  };
}

/** One emulated band behind a UDP CTAPHID endpoint (as bandsim --udp-hid); every link is a new client and channel. */
export async function udpHidBand(
  options: BandOptions = {},
): Promise<{ open: () => Promise<Transport>; close: () => Promise<void> }> {
  const band = emulator(options, options.seed ?? 'conformance-udp');
  const hid = new CtapHidDevice(options.wrap ? options.wrap(band) : band, {
    random: (n) => band.world.random.bytes(n),
    // The suite is a remote peer in real time: MSG_TIMEOUT and KEEPALIVE must come without anyone advancing the band's clock.
    clock: new SystemClock(),
  });
  const server: UdpHidServer = await listenUdpHid('127.0.0.1', 0, (report, reply) => hid.receive(report, reply));
  return {
    open: () => connectUdpHid('127.0.0.1', server.address.port),
    close: async () => {
      hid.close();
      band.close();
      await server.close();
    },
  };
}
