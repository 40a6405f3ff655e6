import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Command } from '../../proto/ctaphid.js';
import { TransportError } from '../../transport/errors.js';
import type { HidDeviceHandle } from '../../transport/hid.js';
import { loopbackPair } from '../../transport/loopback.js';
import { listenTcp } from '../../transport/tcp.js';
import type { Transport } from '../../transport/transport.js';
import { listenUdpHid } from '../../transport/udp-hid.js';
import { openTransport, parseTransportUri } from '../../transport/uri.js';
import { echoAuthenticator } from './echo-authenticator.js';
import { record, until } from './helpers.js';

let dir: string;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'band-uri-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pingPong(t: Transport): Promise<void> {
  const got = record(t);
  await t.send({ command: Command.PING, payload: Uint8Array.of(42) });
  await until(() => got.units.length === 1, `the echo over ${t.name}`);
  expect([...got.units[0].payload]).toEqual([42]);
}

describe('transport URIs', () => {
  it('parses every accepted form', () => {
    expect(parseTransportUri('loopback')).toEqual({ kind: 'loopback' });
    expect(parseTransportUri('serial:/dev/ttyACM0')).toEqual({
      kind: 'serial',
      path: '/dev/ttyACM0',
      baudRate: 115200,
    });
    expect(parseTransportUri('serial:COM3?baud=9600')).toEqual({ kind: 'serial', path: 'COM3', baudRate: 9600 });
    expect(parseTransportUri('tcp:127.0.0.1:8112')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8112 });
    expect(parseTransportUri('tcp:localhost:1')).toEqual({ kind: 'tcp', host: 'localhost', port: 1 });
    expect(parseTransportUri('udp-hid:[::1]:8111')).toEqual({ kind: 'udp-hid', host: '::1', port: 8111 });
    expect(parseTransportUri('hid:auto')).toEqual({ kind: 'hid', path: 'auto' });
    expect(parseTransportUri('hid:/dev/hidraw2')).toEqual({ kind: 'hid', path: '/dev/hidraw2' });
    expect(parseTransportUri('replay:/tmp/a b.txt')).toEqual({ kind: 'replay', file: '/tmp/a b.txt' });
  });

  it('refuses bad URIs with BAD_URI listing the accepted forms', () => {
    for (const uri of [
      '',
      'usb',
      'ftp:x',
      'serial:',
      'serial:/dev/x?baud=fast',
      'serial:/dev/x?parity=odd',
      'tcp:host',
      'tcp:host:0',
      'tcp:host:70000',
      'udp-hid::1:8111',
      'hid:',
      'replay:',
    ]) {
      let error: unknown;
      try {
        parseTransportUri(uri);
      } catch (e) {
        error = e;
      }
      expect(error, uri).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('BAD_URI');
      expect((error as Error).message).toContain('serial:PATH[?baud=N]');
      expect((error as Error).message).toContain('udp-hid:HOST:PORT');
      expect((error as Error).message).toContain(`got "${uri}"`);
    }
  });

  it('opens loopback only with a band supplied', async () => {
    const missing = (await openTransport('loopback').catch((e: unknown) => e)) as TransportError;
    expect(missing.code).toBe('BAD_URI');
    expect(missing.message).toMatch(/options\.loopback/);
    const t = await openTransport('loopback', {
      loopback: () => {
        const [host, band] = loopbackPair();
        band.onUnit((u) => void band.send(u));
        return host;
      },
    });
    cleanups.push(() => t.close());
    await pingPong(t);
  });

  it('opens tcp and records the exchange when asked', async () => {
    const srv = await listenTcp('127.0.0.1', 0, (band) => band.onUnit((u) => void band.send(u)));
    cleanups.push(() => srv.close());
    const file = join(dir, 'tcp.txt');
    const t = await openTransport(`tcp:127.0.0.1:${srv.address.port}`, { record: file });
    cleanups.push(() => t.close());
    await pingPong(t);
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/\n\d+ > PING 2a\n\d+ < PING 2a\n$/);
  });

  it('opens udp-hid, hid (injected backend) and replay', async () => {
    const device = echoAuthenticator();
    const srv = await listenUdpHid('127.0.0.1', 0, (r, reply) => device.onReport(r, reply));
    cleanups.push(() => srv.close());
    const udp = await openTransport(`udp-hid:127.0.0.1:${srv.address.port}`);
    cleanups.push(() => udp.close());
    await pingPong(udp);

    const auth = echoAuthenticator();
    const handle = Object.assign(new EventEmitter(), {
      write: async (values: number[] | Buffer) => {
        const report = Uint8Array.from(values).subarray(1);
        setImmediate(() => auth.onReport(report, (r) => handle.emit('data', Buffer.from(r))));
        return 65;
      },
      close: async () => undefined,
    }) as EventEmitter & HidDeviceHandle;
    const hid = await openTransport('hid:/dev/hidraw7', {
      hid: { backend: { devicesAsync: async () => [], HIDAsync: { open: async () => handle } } },
    });
    cleanups.push(() => hid.close());
    await pingPong(hid);

    const file = join(dir, 'replay.txt');
    const recorder = await openTransport(`udp-hid:127.0.0.1:${srv.address.port}`, { record: file });
    await pingPong(recorder);
    await recorder.close();
    const replay = await openTransport(`replay:${file}`);
    cleanups.push(() => replay.close());
    await pingPong(replay);
  });

  it('reports a missing serial device as OPEN_FAILED', async () => {
    const error = (await openTransport('serial:/dev/no-such-band?baud=9600').catch(
      (e: unknown) => e,
    )) as TransportError;
    expect(error.code).toBe('OPEN_FAILED');
  });
});
