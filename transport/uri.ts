import type { CtapHidHostOptions } from './ctaphid-host.js';
import { TransportError } from './errors.js';
import { openHid, type HidOptions } from './hid.js';
import { recordTransport, type RecordOptions } from './record.js';
import { openReplay, type ReplayOptions } from './replay.js';
import { DEFAULT_BAUD_RATE, openSerial } from './serial.js';
import { connectTcp } from './tcp.js';
import type { Transport } from './transport.js';
import { connectUdpHid } from './udp-hid.js';

export type TransportUri =
  | { kind: 'loopback' }
  | { kind: 'serial'; path: string; baudRate: number }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'udp-hid'; host: string; port: number }
  | { kind: 'hid'; path: string }
  | { kind: 'replay'; file: string };

export const TRANSPORT_URI_FORMS: readonly string[] = [
  'loopback                 a band in this process (the caller supplies it)',
  'serial:PATH[?baud=N]     e.g. serial:/dev/ttyACM0?baud=115200',
  'tcp:HOST:PORT            e.g. tcp:127.0.0.1:8112',
  'udp-hid:HOST:PORT        e.g. udp-hid:127.0.0.1:8111 (CTAPHID reports over UDP)',
  'hid:PATH | hid:auto      a USB FIDO HID device',
  'replay:FILE              play back a recording',
];

export function parseTransportUri(uri: string): TransportUri {
  const bad = (why: string): never => {
    throw new TransportError(
      'BAD_URI',
      `expected a transport URI of one of these forms:\n  ${TRANSPORT_URI_FORMS.join('\n  ')}\ngot "${uri}" (${why}); use one of the forms above`,
    );
  };
  if (uri === 'loopback') return { kind: 'loopback' };
  const colon = uri.indexOf(':');
  if (colon <= 0) return bad('no scheme');
  const scheme = uri.slice(0, colon);
  const rest = uri.slice(colon + 1);
  switch (scheme) {
    case 'serial': {
      const [path, query, ...extra] = rest.split('?');
      if (!path) return bad('no serial port path');
      if (extra.length > 0) return bad('more than one "?"');
      let baudRate = DEFAULT_BAUD_RATE;
      for (const pair of query ? query.split('&') : []) {
        const [key, value] = pair.split('=');
        if (key !== 'baud') return bad(`unknown serial option "${key}", only baud is accepted`);
        if (!/^[1-9]\d*$/.test(value ?? '')) return bad(`baud must be a positive integer, got "${value ?? ''}"`);
        baudRate = Number(value);
      }
      return { kind: 'serial', path, baudRate };
    }
    case 'tcp':
    case 'udp-hid': {
      const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(rest);
      if (!m) return bad('expected HOST:PORT, with an IPv6 host in brackets');
      const port = Number(m[3]);
      if (port < 1 || port > 65535) return bad(`port ${m[3]} is outside 1-65535`);
      return { kind: scheme, host: m[1] ?? m[2], port };
    }
    case 'hid':
      if (!rest) return bad('no HID path (use hid:auto for the first FIDO device)');
      return { kind: 'hid', path: rest };
    case 'replay':
      if (!rest) return bad('no recording file');
      return { kind: 'replay', file: rest };
    default:
      return bad(`unknown scheme "${scheme}"`);
  }
}

export interface OpenTransportOptions {
  /** Supplies the host end of an in-process band; `loopback` is refused without it. */
  loopback?: () => Transport | Promise<Transport>;
  /** Append the exchange to this recording file (see record.ts). */
  record?: string;
  recordOptions?: RecordOptions;
  udpHid?: CtapHidHostOptions;
  hid?: HidOptions;
  replay?: ReplayOptions;
}

/** Opens any transport by URI, so a CLI or a test can pick the wire with one string. */
export async function openTransport(uri: string, options: OpenTransportOptions = {}): Promise<Transport> {
  const parsed = parseTransportUri(uri);
  const transport = await openParsed(parsed, options, uri);
  if (!options.record) return transport;
  try {
    return recordTransport(transport, options.record, options.recordOptions);
  } catch (error) {
    await transport.close();
    throw error;
  }
}

async function openParsed(parsed: TransportUri, options: OpenTransportOptions, uri: string): Promise<Transport> {
  switch (parsed.kind) {
    case 'loopback':
      if (!options.loopback) {
        throw new TransportError(
          'BAD_URI',
          `expected a band in this process for "${uri}", got none; pass options.loopback (a function returning the host end of loopbackPair()) or use another form: ${TRANSPORT_URI_FORMS.slice(
            1,
          )
            .map((f) => f.split(' ')[0])
            .join(', ')}`,
        );
      }
      return options.loopback();
    case 'serial':
      return openSerial(parsed.path, { baudRate: parsed.baudRate });
    case 'tcp':
      return connectTcp(parsed.host, parsed.port);
    case 'udp-hid':
      return connectUdpHid(parsed.host, parsed.port, options.udpHid);
    case 'hid':
      return openHid(parsed.path, options.hid);
    case 'replay':
      return openReplay(parsed.file, options.replay);
  }
}
