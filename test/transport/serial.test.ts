import { mkdir, mkdtemp, open as openFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Command } from '../../proto/ctaphid.js';
import { TransportError } from '../../transport/errors.js';
import { MAX_FRAME_PAYLOAD } from '../../transport/frame.js';
import { listSerialPorts, openSerial } from '../../transport/serial.js';
import type { Transport } from '../../transport/transport.js';
import { SOCAT, systemTool } from '../support/system-deps.js';
import { record, sameUnit, until } from './helpers.js';
import { socatPair } from './socat-pair.js';

const socat = systemTool(SOCAT);
const pairs: Awaited<ReturnType<typeof socatPair>>[] = [];
const opened: Transport[] = [];
async function pair() {
  const p = await socatPair();
  pairs.push(p);
  return p;
}
async function open(path: string, baud?: number) {
  const t = await openSerial(path, { baudRate: baud });
  opened.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((t) => t.close()));
});
afterAll(async () => {
  await Promise.all(pairs.map((p) => p.kill()));
});

describe.skipIf(!socat.ok)('serial over a socat pty pair', () => {
  it('a peer that never reads: the band stops reading, then drops units with PEER_NOT_READING and keeps the port', async () => {
    const { paths } = await pair();
    // The host end held open and never read (a stuck terminal program).
    const stuck = await openFile(paths[0], 'r+');
    const band = await open(paths[1]);
    const unit = { command: Command.BAND, payload: new Uint8Array(7_000).fill(0x55) };
    let refusal: unknown;
    for (let i = 0; i < 2_000 && refusal === undefined; i++) {
      await Promise.race([
        band.send(unit).catch((error: unknown) => (refusal = error)),
        new Promise((resolve) => setImmediate(resolve)),
      ]);
    }
    expect((refusal as TransportError).code).toBe('PEER_NOT_READING');
    expect(band.isOpen).toBe(true);
    await stuck.close();
  });

  it('carries units both ways in order, up to the maximum size', async () => {
    const { paths } = await pair();
    const host = await open(paths[0]);
    const band = await open(paths[1], 9600);
    const atBand = record(band);
    const atHost = record(host);
    const units = [
      { command: Command.PING, payload: new Uint8Array() },
      { command: Command.BAND, payload: Uint8Array.from({ length: 3000 }, (_, i) => i % 7) },
      { command: Command.CBOR, payload: new Uint8Array(MAX_FRAME_PAYLOAD).fill(0xaa) },
    ];
    for (const u of units) await host.send(u);
    await band.send(units[1]);
    await until(() => atBand.units.length === 3 && atHost.units.length === 1, 'all units');
    units.forEach((u, i) => expect(sameUnit(atBand.units[i], u)).toBe(true));
    expect(sameUnit(atHost.units[0], units[1])).toBe(true);
    expect(atBand.frameErrors).toEqual([]);
    expect(host.name).toBe(`serial:${paths[0]}`);
  });

  it('refuses a port another opener holds with PORT_BUSY, and frees it on close', async () => {
    const { paths } = await pair();
    const first = await open(paths[0]);
    const error = (await openSerial(paths[0]).catch((e: unknown) => e)) as TransportError;
    expect(error).toBeInstanceOf(TransportError);
    expect(error.code).toBe('PORT_BUSY');
    expect(error.message).toContain(paths[0]);
    await first.close();
    const again = await open(paths[0]);
    expect(again.isOpen).toBe(true);
  });

  it('reports the device vanishing mid-exchange as DISCONNECTED, and a new port opens afterwards', async () => {
    const p = await pair();
    const host = await open(p.paths[0]);
    const band = await open(p.paths[1]);
    const atHost = record(host);
    const atBand = record(band);
    let replies = 0;
    band.onUnit((u) => {
      replies++;
      void band.send(u).catch(() => undefined);
    });
    const exchange = (async () => {
      const results: string[] = [];
      // Bounded so a transport that never notices the loss fails the test instead of hanging it.
      for (let i = 0; host.isOpen && i < 2000; i++) {
        results.push(
          await host.send({ command: Command.BAND, payload: new Uint8Array(500).fill(1) }).then(
            () => 'ok',
            (e: TransportError) => e.code,
          ),
        );
      }
      return results;
    })();
    await until(() => replies >= 3, 'the exchange to get going');
    await p.kill();
    const results = await exchange;
    for (const r of results) expect(['ok', 'DISCONNECTED', 'CLOSED', 'WRITE_FAILED']).toContain(r);
    await until(() => atHost.closes.length === 1 && atBand.closes.length === 1, 'both ends to notice');
    expect(atHost.closes[0]?.code).toBe('DISCONNECTED');
    expect(atHost.closes[0]?.message).toContain(p.paths[0]);
    const late = (await host
      .send({ command: 1, payload: new Uint8Array() })
      .catch((e: unknown) => e)) as TransportError;
    expect(late.code).toBe('CLOSED');

    const q = await pair();
    const host2 = await open(q.paths[0]);
    const band2 = await open(q.paths[1]);
    const atBand2 = record(band2);
    await host2.send({ command: Command.PING, payload: Uint8Array.of(1) });
    await until(() => atBand2.units.length === 1, 'a unit on the new pair');
  });

  it('notices a hangup that lands while a read is in flight (serialport retries zero-byte reads forever)', async () => {
    // Bytes stream in while socat dies, so the hangup often lands mid-read; before the poller watch in
    // openSerial, about a quarter of these runs never heard of the loss.
    for (let run = 0; run < 12; run++) {
      const p = await pair();
      const host = await open(p.paths[0]);
      const band = await open(p.paths[1]);
      const atHost = record(host);
      let sending = true;
      const flood = (async () => {
        while (sending && band.isOpen)
          await band.send({ command: Command.BAND, payload: new Uint8Array(400).fill(run + 1) }).catch(() => undefined);
      })();
      await until(() => atHost.units.length >= 2 + (run % 5), 'bytes flowing');
      await p.kill();
      await until(() => atHost.closes.length === 1, `run ${run}: the host to notice the hangup`, 600);
      expect(atHost.closes[0]?.code).toBe('DISCONNECTED');
      sending = false;
      await flood;
    }
  });
});

describe('serial without a device', () => {
  it('fails to open a missing path with OPEN_FAILED naming it', async () => {
    const error = (await openSerial('/dev/does-not-exist-band').catch((e: unknown) => e)) as TransportError;
    expect(error).toBeInstanceOf(TransportError);
    expect(error.code).toBe('OPEN_FAILED');
    expect(error.message).toContain('/dev/does-not-exist-band');
  });

  it('lists ports, scanning /dev when serialport cannot enumerate, and says so', async () => {
    const real = await listSerialPorts();
    expect(Array.isArray(real.ports)).toBe(true);
    if (real.source === 'dev-scan') expect(real.note).toMatch(/could not enumerate/);

    const dev = await mkdtemp(join(tmpdir(), 'band-dev-'));
    try {
      await mkdir(join(dev, 'serial', 'by-id'), { recursive: true });
      await writeFile(join(dev, 'ttyACM0'), '');
      await writeFile(join(dev, 'ttyUSB3'), '');
      await writeFile(join(dev, 'ttyS0'), '');
      await symlink(join(dev, 'ttyACM0'), join(dev, 'serial', 'by-id', 'usb-Band_AAAH-00125-if00'));
      const listing = await listSerialPorts({
        devDir: dev,
        enumerate: () => Promise.reject(new Error('spawn udevadm ENOENT')),
      });
      expect(listing.source).toBe('dev-scan');
      expect(listing.note).toContain('udevadm ENOENT');
      expect(listing.ports.map((p) => p.path)).toEqual([join(dev, 'ttyACM0'), join(dev, 'ttyUSB3')]);
      expect(listing.ports[0].byId).toContain('usb-Band_AAAH-00125');
    } finally {
      await rm(dev, { recursive: true, force: true });
    }
  });
});
