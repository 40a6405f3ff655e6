import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { describe } from './base-transport.js';
import { HID_REPORT_SIZE } from './ctaphid.js';
import { CtapHidHost, type CtapHidHostOptions, type CtapHidTransport } from './ctaphid-host.js';
import { TransportError } from './errors.js';

/**
 * CTAPHID over UDP: one 64-byte report per datagram, the convention of the SoloKeys simulator, so
 * FIDO2 clients that speak it can reach the band emulator. UDP has no connection: a dead peer shows
 * up only as ECONNREFUSED (an ICMP port-unreachable on loopback) or as silence.
 */
export async function connectUdpHid(
  host: string,
  port: number,
  options: CtapHidHostOptions = {},
): Promise<CtapHidTransport> {
  const name = `udp-hid:${host}:${port}`;
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    socket.close();
    throw new TransportError(
      'OPEN_FAILED',
      `expected to reach ${name}, got ${describe(error)}; check the host and port`,
      { cause: error },
    );
  }
  let closed = false;
  const lost = (error: Error | undefined) => {
    if (!closed) {
      closed = true;
      socket.close();
    }
    transport.linkLost(
      new TransportError(
        'DISCONNECTED',
        `expected ${name} to keep answering, ${error ? `the socket failed: ${describe(error)}` : 'the socket closed'}; check the band is still running and reopen`,
        { cause: error },
      ),
    );
  };
  const transport = new CtapHidHost(
    name,
    {
      write: (report) =>
        new Promise<void>((resolve, reject) =>
          socket.send(report, (error) => {
            if (!error) return resolve();
            // On loopback a closed port answers with ICMP unreachable: the band is gone, not a glitch.
            if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') lost(error);
            reject(error);
          }),
        ),
      close: () =>
        new Promise<void>((resolve) => {
          if (closed) return resolve();
          closed = true;
          socket.close(() => resolve());
        }),
    },
    options,
  );
  socket.on('error', (error) => lost(error));
  socket.on('close', () => lost(undefined));
  socket.on('message', (datagram) =>
    transport.receiveReport(new Uint8Array(datagram.buffer, datagram.byteOffset, datagram.length)),
  );
  return transport.initialize();
}

export interface UdpPeer {
  address: string;
  port: number;
}

export interface UdpHidServer {
  readonly address: UdpPeer;
  close(): Promise<void>;
}

export interface UdpHidServerOptions {
  /** A datagram that is not one 64-byte report; it is dropped either way. */
  onBadDatagram?(length: number, peer: UdpPeer): void;
  /** A socket error after the server started (a failed reply, an ICMP error); the server keeps serving. */
  onError?(error: TransportError): void;
}

/**
 * Band side: a raw report server. Channel allocation and busy handling belong to the band (it owns
 * the Reassembler); this only moves reports, and replies go to the datagram's sender, which is how
 * SoloKeys-style clients that send from their listening port receive them.
 */
export async function listenUdpHid(
  host: string,
  port: number,
  onReport: (report: Uint8Array, reply: (report: Uint8Array) => void, peer: UdpPeer) => void,
  options: UdpHidServerOptions = {},
): Promise<UdpHidServer> {
  const socket: Socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  const report = (error: Error) =>
    options.onError?.(
      new TransportError(
        'WRITE_FAILED',
        `expected the UDP-HID server on ${host}:${port} to keep working, got ${describe(error)}; the client may have gone`,
        {
          cause: error,
        },
      ),
    );
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    socket.close();
    throw new TransportError(
      'OPEN_FAILED',
      `expected to listen on udp-hid:${host}:${port}, got ${describe(error)}; pick a free port (0 for any)`,
      {
        cause: error,
      },
    );
  }
  socket.on('error', report);
  socket.on('message', (datagram: Buffer, rinfo: RemoteInfo) => {
    const peer = { address: rinfo.address, port: rinfo.port };
    if (datagram.length !== HID_REPORT_SIZE) {
      options.onBadDatagram?.(datagram.length, peer);
      return;
    }
    const reply = (out: Uint8Array) => {
      if (out.length !== HID_REPORT_SIZE) {
        throw new TransportError(
          'BAD_UNIT',
          `expected a ${HID_REPORT_SIZE}-byte report to reply with, got ${out.length}; build replies with packetize()`,
        );
      }
      if (!open) return;
      socket.send(out, rinfo.port, rinfo.address, (error) => error && report(error));
    };
    onReport(Uint8Array.from(datagram), reply, peer);
  });
  let open = true;
  const bound = socket.address();
  return {
    address: { address: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        if (!open) return resolve();
        open = false;
        socket.close(() => resolve());
      }),
  };
}
