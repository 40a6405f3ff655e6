import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Command } from '../../proto/ctaphid.js';
import { packetize } from '../../transport/ctaphid.js';
import type { CtapHidTransport } from '../../transport/ctaphid-host.js';
import { TransportError } from '../../transport/errors.js';
import { connectUdpHid, listenUdpHid, type UdpHidServer } from '../../transport/udp-hid.js';
import { echoAuthenticator } from './echo-authenticator.js';
import { record, sameUnit, unitArb, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function band(options?: Parameters<typeof echoAuthenticator>[0]) {
  const device = echoAuthenticator(options);
  const bad: number[] = [];
  const srv: UdpHidServer = await listenUdpHid('127.0.0.1', 0, (r, reply) => device.onReport(r, reply), {
    onBadDatagram: (length) => bad.push(length),
  });
  cleanups.push(() => srv.close());
  return { srv, device, bad };
}

async function host(port: number, options?: Parameters<typeof connectUdpHid>[2]): Promise<CtapHidTransport> {
  const t = await connectUdpHid('127.0.0.1', port, options);
  cleanups.push(() => t.close());
  return t;
}

describe('udp-hid', () => {
  it('runs INIT with the injected nonce and takes the allocated channel', async () => {
    const { srv, device } = await band();
    const nonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const t = await host(srv.address.port, { random: () => nonce });
    expect(t.channel).toBe(0x1000);
    expect(t.device.capabilities).toBe(0x0c);
    expect([...device.received[0].payload]).toEqual([...nonce]);
    const t2 = await host(srv.address.port);
    expect(t2.channel).toBe(0x1001);
  });

  it('carries units of any size both ways; KEEPALIVE arrives as a unit', async () => {
    const { srv } = await band({ keepalives: 2 });
    const t = await host(srv.address.port);
    const got = record(t);
    await fc.assert(
      fc.asyncProperty(unitArb(7609), async (u) => {
        const unit = {
          command: u.command === Command.INIT || u.command === Command.CBOR ? Command.PING : u.command,
          payload: u.payload,
        };
        const before = got.units.length;
        await t.send(unit);
        await until(() => got.units.length === before + 1, 'the echo');
        expect(sameUnit(got.units[before], unit)).toBe(true);
      }),
      { numRuns: 25 },
    );
    const before = got.units.length;
    await t.send({ command: Command.CBOR, payload: Uint8Array.of(4) });
    await until(() => got.units.length === before + 3, 'two keepalives and the answer');
    expect(got.units.slice(before).map((u) => u.command)).toEqual([Command.KEEPALIVE, Command.KEEPALIVE, Command.CBOR]);
    expect(got.frameErrors).toEqual([]);
  });

  it('does not interleave the reports of concurrent sends', async () => {
    const { srv, device } = await band();
    const t = await host(srv.address.port);
    const got = record(t);
    const units = Array.from({ length: 5 }, (_, i) => ({
      command: Command.PING,
      payload: new Uint8Array(1000).fill(i + 1),
    }));
    await Promise.all(units.map((u) => t.send(u)));
    await until(() => got.units.length === 5, 'five echoes');
    expect(device.received.slice(1).map((m) => m.payload[0])).toEqual([1, 2, 3, 4, 5]);
  });

  it('fails INIT with OPEN_FAILED when the band does not answer (injected timers), or answers wrongly', async () => {
    const { srv } = await band({ onInit: 'ignore' });
    let fire: (() => void) | undefined;
    const opening = connectUdpHid('127.0.0.1', srv.address.port, {
      timers: { setTimeout: (cb) => (fire = cb), clearTimeout: () => undefined },
      initTimeoutMs: 1234,
    }).catch((e: unknown) => e);
    await until(() => fire !== undefined, 'the INIT timer');
    fire!();
    const error = (await opening) as TransportError;
    expect(error.code).toBe('OPEN_FAILED');
    expect(error.message).toMatch(/within 1234 ms/);

    const busy = await band({ onInit: 'busy' });
    const busyError = (await connectUdpHid('127.0.0.1', busy.srv.address.port).catch(
      (e: unknown) => e,
    )) as TransportError;
    expect(busyError.code).toBe('OPEN_FAILED');
    expect(busyError.message).toMatch(/CHANNEL_BUSY/);

    // A response carrying another host's nonce is not ours: keep waiting, then time out.
    const other = await band({ onInit: 'wrong-nonce' });
    const wrong = (await connectUdpHid('127.0.0.1', other.srv.address.port, { initTimeoutMs: 50 }).catch(
      (e: unknown) => e,
    )) as TransportError;
    expect(wrong.code).toBe('OPEN_FAILED');
  });

  it('reports protocol errors from a broken band as frame errors and ignores other channels', async () => {
    let reply: ((r: Uint8Array) => void) | undefined;
    const device = echoAuthenticator();
    const srv = await listenUdpHid('127.0.0.1', 0, (r, rep) => {
      reply = rep;
      device.onReport(r, rep);
    });
    cleanups.push(() => srv.close());
    const t = await host(srv.address.port);
    const got = record(t);
    const [, cont] = packetize(t.channel, Command.PING, new Uint8Array(100));
    reply!(cont);
    reply!(packetize(t.channel + 1, Command.PING, Uint8Array.of(1))[0]);
    reply!(packetize(t.channel, Command.PING, Uint8Array.of(2))[0]);
    await until(() => got.units.length === 1, 'the good ping');
    expect(got.frameErrors.map((e) => e.code)).toEqual(['HID_INVALID_SEQ']);
    expect([...got.units[0].payload]).toEqual([2]);
  });

  it('server drops datagrams that are not one report', async () => {
    const { srv, bad } = await band();
    const s = createSocket('udp4');
    cleanups.push(() => new Promise((r) => s.close(() => r())));
    await new Promise<void>((r) => s.send(new Uint8Array(10), srv.address.port, '127.0.0.1', () => r()));
    await until(() => bad.length === 1, 'the bad datagram');
    expect(bad).toEqual([10]);
  });

  it('a band that goes away makes the host transport DISCONNECTED, not a crash; a new one opens later', async () => {
    const { srv } = await band();
    const t = await host(srv.address.port);
    const got = record(t);
    await srv.close();
    // The first datagram to a closed loopback port draws ICMP unreachable; the next send sees it.
    for (let i = 0; i < 20 && t.isOpen; i++) {
      await t.send({ command: Command.PING, payload: Uint8Array.of(i) }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 10));
    }
    await until(() => got.closes.length === 1, 'the host to notice');
    expect(got.closes[0]?.code).toBe('DISCONNECTED');
    const again = await band();
    const t2 = await host(again.srv.address.port);
    expect(t2.isOpen).toBe(true);
  });
});
