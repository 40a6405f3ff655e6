import { readdir, realpath } from 'node:fs/promises';
import type { SerialPort as SerialPortClass } from 'serialport';
import { describe } from './base-transport.js';
import { CLOSE_FLUSH_MS, boundedWriter } from './bounded-writes.js';
import { TransportError } from './errors.js';
import { FRAME_DELIMITER } from './frame.js';
import { FramedTransport } from './framed-transport.js';
import type { Transport } from './transport.js';

export const DEFAULT_BAUD_RATE = 115200;

/**
 * serialport loads its native addon on import; loading it only when a serial port is wanted keeps
 * loopback, TCP and UDP usable on a machine where the addon is missing.
 */
async function loadSerialPort(): Promise<typeof SerialPortClass> {
  try {
    return (await import('serialport')).SerialPort;
  } catch (error) {
    throw new TransportError(
      'OPEN_FAILED',
      `expected the serialport native addon to load, got ${describe(error)}; reinstall dependencies (npm ci) on this platform`,
      {
        cause: error,
      },
    );
  }
}

/** The part of @serialport/bindings-cpp's Unix poller used here (not in its public types). */
interface PollerLike {
  once(event: 'disconnect', listener: (error: (Error & { canceled?: boolean }) | null) => void): unknown;
}

export interface SerialOptions {
  /** Default 115200. Ignored by USB CDC-ACM bands and ptys, honoured by real UARTs. */
  baudRate?: number;
}

/**
 * Frames over a serial port. The port is locked (serialport's default) so two programs never
 * interleave bytes on one band. One 0x00 goes out right after opening: it ends whatever half frame
 * the band may hold from an earlier host, and the band ignores the empty segment.
 */
export async function openSerial(path: string, options: SerialOptions = {}): Promise<Transport> {
  const baudRate = options.baudRate ?? DEFAULT_BAUD_RATE;
  const name = `serial:${path}`;
  const SerialPort = await loadSerialPort();
  const port = new SerialPort({ path, baudRate, autoOpen: false, lock: true });
  // serialport reports some failures as 'error' events; one without a listener would kill the process.
  let failure: Error | undefined;
  port.on('error', (error) => {
    failure = error;
  });
  try {
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  } catch (error) {
    const message = describe(error);
    if (/Cannot lock port|Resource temporarily unavailable/i.test(message)) {
      throw new TransportError(
        'PORT_BUSY',
        `expected to have ${path} to ourselves, another program holds it (${message}); close that program (another bandctl, a serial monitor) and retry`,
        {
          cause: error,
        },
      );
    }
    throw new TransportError(
      'OPEN_FAILED',
      `expected to open serial port ${path}, got ${message}; check the path (listSerialPorts) and your permissions (dialout group)`,
      {
        cause: error,
      },
    );
  }
  // A read of zero bytes (the far end of a pty closed) ends the stream without closing the port.
  let peerEnded = false;
  const peerGone = () => {
    peerEnded = true;
    if (port.isOpen && !port.closing) port.close(() => undefined);
  };
  // serialport's Unix binding retries a zero-byte read at once and forever, and a pty whose far end closed
  // (socat killed) reads zero bytes; when the hangup lands while a read is in flight, neither 'end' nor 'close'
  // ever comes and a host waits for its timeout (seen in about 1 of 4 hangups under traffic). The binding's
  // poller still sees the hangup (POLLHUP/POLLERR), so watch it. Windows has no poller; its binding reports
  // disconnects itself. Watched before the first read, whose poll for 'readable' must come after (a
  // later registration replaces the earlier one until it fires).
  const poller = (port as unknown as { port?: { poller?: PollerLike } }).port?.poller;
  poller?.once('disconnect', (error) => {
    if (!error?.canceled) peerGone();
  });
  const transport = new FramedTransport(name, {
    // A serial line has no connection to drop: while the peer reads nothing, units past the bound are dropped
    // (each is a whole frame, so the peer resynchronises at the next delimiter when it reads again).
    write: boundedWriter(port, name, () => undefined),
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        // Flush what was written first, but not for longer than CLOSE_FLUSH_MS: a peer that does not read
        // would hold the port open forever.
        let closing = false;
        const closeNow = () => {
          if (closing) return;
          closing = true;
          clearTimeout(giveUp);
          port.close(() => resolve());
        };
        const giveUp = setTimeout(closeNow, CLOSE_FLUSH_MS);
        port.drain(closeNow);
      }),
  });
  port.on('data', (chunk: Buffer) => transport.receiveBytes(chunk));
  port.on('end', peerGone);
  port.on('close', (error: Error | null) => {
    const why = error ? `it went away (${error.message})` : peerEnded ? 'its far end closed' : 'it was closed';
    transport.linkLost(
      new TransportError('DISCONNECTED', `expected ${path} to stay connected, ${why}; replug the band and reopen`, {
        cause: error ?? failure,
      }),
    );
  });
  port.write(Buffer.of(FRAME_DELIMITER), () => undefined);
  return transport;
}

export interface SerialPortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  /** For entries found by scanning /dev: the stable /dev/serial/by-id name, if any. */
  byId?: string;
}

export interface SerialPortListing {
  ports: SerialPortInfo[];
  /** 'udev' when serialport could enumerate; 'dev-scan' when it could not and /dev was scanned. */
  source: 'udev' | 'dev-scan';
  /** Why the scan fallback was used, to show the user. */
  note?: string;
}

/**
 * Lists serial ports. serialport enumerates through udevadm on Linux and fails with "spawn udevadm
 * ENOENT" in containers without udev; then /dev/serial/by-id and /dev/tty{USB,ACM}* are scanned,
 * which finds the same USB serial devices without vendor details.
 */
export async function listSerialPorts(
  options: { devDir?: string; enumerate?: () => Promise<Awaited<ReturnType<typeof SerialPortClass.list>>> } = {},
): Promise<SerialPortListing> {
  try {
    const ports = await (options.enumerate ?? (async () => (await loadSerialPort()).list()))();
    return {
      source: 'udev',
      ports: ports.map((p) => ({
        path: p.path,
        manufacturer: p.manufacturer,
        serialNumber: p.serialNumber,
        vendorId: p.vendorId,
        productId: p.productId,
      })),
    };
  } catch (error) {
    const dev = options.devDir ?? '/dev';
    const ports = new Map<string, SerialPortInfo>();
    for (const entry of await readdir(`${dev}/serial/by-id`).catch(() => [] as string[])) {
      const target = await realpath(`${dev}/serial/by-id/${entry}`).catch(() => undefined);
      if (target) ports.set(target, { path: target, byId: `${dev}/serial/by-id/${entry}` });
    }
    for (const entry of await readdir(dev).catch(() => [] as string[])) {
      if (/^tty(USB|ACM)\d+$/.test(entry) && !ports.has(`${dev}/${entry}`))
        ports.set(`${dev}/${entry}`, { path: `${dev}/${entry}` });
    }
    return {
      source: 'dev-scan',
      ports: [...ports.values()].sort((a, b) => a.path.localeCompare(b.path)),
      note: `serialport could not enumerate (${describe(error)}); listed ${dev}/serial/by-id and ${dev}/tty{USB,ACM}* instead, without vendor details (install udev for them)`,
    };
  }
}
