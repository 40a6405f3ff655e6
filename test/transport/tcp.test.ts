import { connect, createServer } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Command } from '../../proto/ctaphid.js';
import { TransportError } from '../../transport/errors.js';
import { encodeFrame, MAX_FRAME_PAYLOAD } from '../../transport/frame.js';
import { connectTcp, listenTcp, type TcpServer } from '../../transport/tcp.js';
import type { Transport } from '../../transport/transport.js';
import { record, sameUnit, unitArb, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(): Promise<{ srv: TcpServer; accepted: Transport[] }> {
  const accepted: Transport[] = [];
  const srv = await listenTcp('127.0.0.1', 0, (t) => accepted.push(t));
  cleanups.push(() => srv.close());
  return { srv, accepted };
}

async function client(port: number): Promise<Transport> {
  const t = await connectTcp('127.0.0.1', port);
  cleanups.push(() => t.close());
  return t;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('tcp', () => {
  it('carries units both ways in order, up to the maximum size', async () => {
    const { srv, accepted } = await server();
    const host = await client(srv.address.port);
    await until(() => accepted.length === 1, 'the accepted connection');
    const band = accepted[0];
    const atBand = record(band);
    const atHost = record(host);
    await fc.assert(
      fc.asyncProperty(fc.array(unitArb(2000), { minLength: 1, maxLength: 6 }), async (units) => {
        const before = atBand.units.length;
        await Promise.all(units.map((u) => host.send(u)));
        await until(() => atBand.units.length === before + units.length, 'units at the band');
        units.forEach((u, i) => expect(sameUnit(atBand.units[before + i], u)).toBe(true));
      }),
      { numRuns: 30 },
    );
    const big = { command: Command.BAND, payload: new Uint8Array(MAX_FRAME_PAYLOAD).fill(0) };
    await band.send(big);
    await until(() => atHost.units.length === 1, 'the big unit at the host');
    expect(sameUnit(atHost.units[0], big)).toBe(true);
    expect(atHost.frameErrors).toEqual([]);
    expect(host.name).toBe(`tcp:127.0.0.1:${srv.address.port}`);
  });

  it('reports garbage from a raw peer as frame errors and keeps the units after it', async () => {
    const { srv, accepted } = await server();
    const raw = connect(srv.address.port, '127.0.0.1');
    cleanups.push(async () => void raw.destroy());
    await until(() => accepted.length === 1, 'the accepted connection');
    const atBand = record(accepted[0]);
    const unit = { command: Command.PING, payload: Uint8Array.of(1, 2, 3) };
    raw.write(Buffer.concat([Buffer.from([9, 9, 9, 0, 1, 0]), Buffer.from(encodeFrame(unit))]));
    await until(() => atBand.units.length === 1, 'the unit after the garbage');
    expect(atBand.frameErrors.map((e) => e.code)).toEqual(['FRAME_COBS', 'FRAME_TOO_SHORT']);
    expect(sameUnit(atBand.units[0], unit)).toBe(true);
  });

  it('tells each side how the connection ended', async () => {
    const { srv, accepted } = await server();
    const host = await client(srv.address.port);
    await until(() => accepted.length === 1, 'the accepted connection');
    const atBand = record(accepted[0]);
    const atHost = record(host);
    await host.close();
    await until(() => atBand.closes.length === 1, 'the band to notice');
    expect(atHost.closes).toEqual([undefined]);
    expect(atBand.closes[0]?.code).toBe('DISCONNECTED');
    const late = await host.send({ command: 1, payload: new Uint8Array() }).catch((e: unknown) => e);
    expect((late as TransportError).code).toBe('CLOSED');
  });

  it('survives the band dying mid-exchange, and a new connection works afterwards', async () => {
    const { srv, accepted } = await server();
    const host = await client(srv.address.port);
    await until(() => accepted.length === 1, 'the accepted connection');
    const atHost = record(host);
    // Keep sending while the band side goes away; every send settles, none crashes the process.
    const sends = Array.from({ length: 50 }, () =>
      host.send({ command: Command.BAND, payload: new Uint8Array(4000) }).then(
        () => 'ok',
        (e: TransportError) => e.code,
      ),
    );
    await srv.close();
    const results = await Promise.all(sends);
    for (const r of results) expect(['ok', 'DISCONNECTED', 'CLOSED', 'WRITE_FAILED']).toContain(r);
    await until(() => atHost.closes.length === 1, 'the host to notice');
    expect(atHost.closes[0]?.code).toBe('DISCONNECTED');
    expect(atHost.closes[0]?.message).toMatch(/reconnect/);

    const { srv: again, accepted: acceptedAgain } = await server();
    const host2 = await client(again.address.port);
    await until(() => acceptedAgain.length === 1, 'the new connection');
    const atBand2 = record(acceptedAgain[0]);
    await host2.send({ command: Command.PING, payload: Uint8Array.of(7) });
    await until(() => atBand2.units.length === 1, 'the ping on the new connection');
  });

  it('fails to connect with OPEN_FAILED naming the address', async () => {
    const port = await freePort();
    const error = await connectTcp('127.0.0.1', port).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('OPEN_FAILED');
    expect((error as Error).message).toContain(`tcp:127.0.0.1:${port}`);
  });

  it('refuses to listen on a port in use with OPEN_FAILED', async () => {
    const { srv } = await server();
    const error = await listenTcp('127.0.0.1', srv.address.port, () => undefined).catch((e: unknown) => e);
    expect((error as TransportError).code).toBe('OPEN_FAILED');
  });
});

describe('tcp backpressure (docs/protocol.md, "Backpressure")', () => {
  it('stops reading from a peer that does not read, then drops it with PEER_NOT_READING past MAX_UNREAD_BYTES', async () => {
    const { srv, accepted } = await server();
    // A host that never reads a byte of what the band sends.
    const host = connect({ host: '127.0.0.1', port: srv.address.port });
    host.pause();
    cleanups.push(async () => void host.destroy());
    await until(() => accepted.length === 1, 'the accepted connection');
    const band = accepted[0];
    const closed = new Promise<TransportError | undefined>((resolve) => band.onClose(resolve));
    const unit = { command: Command.BAND, payload: new Uint8Array(7_000).fill(0x55) };
    let refusal: unknown;
    // Kernel buffers take a few MB first; then the band's own queue fills up to the bound.
    for (let i = 0; i < 10_000 && refusal === undefined; i++) {
      await Promise.race([
        band.send(unit).catch((error: unknown) => (refusal = error)),
        new Promise((resolve) => setImmediate(resolve)),
      ]);
    }
    expect(refusal).toBeInstanceOf(TransportError);
    expect((refusal as TransportError).code).toBe('PEER_NOT_READING');
    const reason = await closed;
    expect(reason?.code).toBe('PEER_NOT_READING');
    expect(reason?.message).toMatch(/expected tcp:.* to read what was sent to it, \d+ bytes wait unread/);
  });
});
