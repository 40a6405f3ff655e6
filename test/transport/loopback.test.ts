import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Command } from '../../proto/ctaphid.js';
import { TransportError } from '../../transport/errors.js';
import { MAX_UNREAD_BYTES } from '../../transport/bounded-writes.js';
import { encodeFrame } from '../../transport/frame.js';
import { FramedTransport } from '../../transport/framed-transport.js';
import { loopbackPair, type LoopbackTransport } from '../../transport/loopback.js';
import type { Unit } from '../../transport/transport.js';
import { bytesArb, record, sameUnit, settle, unitArb, until } from './helpers.js';

const open: LoopbackTransport[] = [];
function pair(options?: Parameters<typeof loopbackPair>[0]) {
  const p = loopbackPair(options);
  open.push(...p);
  return p;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('loopback', () => {
  it('carries units both ways, in order, through the real framing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(unitArb(300), { maxLength: 10 }),
        fc.array(unitArb(300), { maxLength: 10 }),
        fc.integer({ min: 1, max: 100 }),
        async (toBand, toHost, chunkSize) => {
          const [host, band] = pair({ chunkSize });
          const atBand = record(band);
          const atHost = record(host);
          await Promise.all([...toBand.map((u) => host.send(u)), ...toHost.map((u) => band.send(u))]);
          await until(
            () => atBand.units.length === toBand.length && atHost.units.length === toHost.length,
            'all units',
          );
          atBand.units.forEach((u, i) => expect(sameUnit(u, toBand[i])).toBe(true));
          atHost.units.forEach((u, i) => expect(sameUnit(u, toHost[i])).toBe(true));
          const framed = (us: Unit[]) => us.reduce((n, u) => n + encodeFrame(u).length, 0);
          expect(host.bytesSent).toBe(framed(toBand));
          expect(band.bytesReceived).toBe(framed(toBand));
          expect(band.bytesSent).toBe(framed(toHost));
          await host.close();
        },
      ),
      { numRuns: 50 },
    );
  });

  it('delivers asynchronously, never inside send()', async () => {
    const [host, band] = pair();
    const got: Unit[] = [];
    band.onUnit((u) => got.push(u));
    const sent = host.send({ command: Command.PING, payload: Uint8Array.of(1) });
    expect(got).toEqual([]);
    await sent;
    await until(() => got.length === 1, 'the ping');
  });

  it('reports injected garbage as frame errors and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(bytesArb(200), unitArb(100), async (garbage, unit) => {
        const [host, band] = pair();
        const atBand = record(band);
        // The trailing 0x00 ends the garbage the way line noise would be cut off by a sender's flush.
        band.injectBytes(Uint8Array.from([...garbage, 0]));
        await host.send(unit);
        await until(() => atBand.units.length >= 1, 'the unit after the garbage');
        expect(sameUnit(atBand.units[atBand.units.length - 1], unit)).toBe(true);
        for (const e of atBand.frameErrors) expect(e).toBeInstanceOf(TransportError);
        await host.close();
      }),
      { numRuns: 50 },
    );
    const [, band] = pair();
    const errors = record(band).frameErrors;
    band.injectBytes(Uint8Array.of(5, 1, 2, 0));
    await until(() => errors.length === 1, 'a frame error');
    expect(errors[0].code).toBe('FRAME_COBS');
  });

  it('closes both sides: the closer hears undefined, the peer DISCONNECTED, after data sent before close', async () => {
    const [host, band] = pair();
    const atHost = record(host);
    const order: string[] = [];
    band.onUnit(() => order.push('unit'));
    band.onClose((e) => order.push(`close:${e?.code}`));
    const sent = host.send({ command: Command.BAND, payload: Uint8Array.of(1) });
    await host.close();
    await sent;
    await until(() => order.length === 2, 'unit then close');
    expect(order).toEqual(['unit', 'close:DISCONNECTED']);
    expect(atHost.closes).toEqual([undefined]);
    expect(host.isOpen).toBe(false);
    expect(band.isOpen).toBe(false);
  });

  it('rejects send after close with CLOSED, on both sides', async () => {
    const [host, band] = pair();
    await band.close();
    await until(() => !host.isOpen, 'the host side to close');
    for (const side of [host, band]) {
      const error = await side.send({ command: 1, payload: new Uint8Array() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('CLOSED');
    }
  });

  it('rejects a send whose peer closed before delivery with DISCONNECTED', async () => {
    const tasks: (() => void)[] = [];
    const [host, band] = pair({ schedule: (t) => tasks.push(t) });
    const closing = band.close();
    const send = host.send({ command: 1, payload: new Uint8Array() }).catch((e: unknown) => e);
    // Run band's close first, then host's delivery.
    while (tasks.length) tasks.shift()!();
    await closing;
    const error = await send;
    expect((error as TransportError).code).toBe('DISCONNECTED');
  });

  it('calls onClose once, and tells a late subscriber how it ended', async () => {
    const [host, band] = pair();
    const seen: (string | undefined)[] = [];
    band.onClose((e) => seen.push(e?.code));
    await host.close();
    await host.close();
    await until(() => seen.length === 1, 'close');
    const late = await new Promise((resolve) => band.onClose((e) => resolve(e?.code)));
    expect(late).toBe('DISCONNECTED');
    await settle();
    expect(seen).toEqual(['DISCONNECTED']);
  });

  it('stops calling a listener once it is removed', async () => {
    const [host, band] = pair();
    let calls = 0;
    const off = band.onUnit(() => calls++);
    const all = record(band);
    await host.send({ command: 1, payload: new Uint8Array() });
    await until(() => all.units.length === 1, 'first unit');
    off();
    await host.send({ command: 1, payload: new Uint8Array() });
    await until(() => all.units.length === 2, 'second unit');
    expect(calls).toBe(1);
  });

  it('rejects units no wire can carry without closing the link', async () => {
    const [host] = pair();
    const error = await host.send({ command: 0x80, payload: new Uint8Array() }).catch((e: unknown) => e);
    expect((error as TransportError).code).toBe('BAD_UNIT');
    expect(host.isOpen).toBe(true);
  });
});

describe('loopback backpressure', () => {
  it('refuses sends past MAX_UNREAD_BYTES undelivered with PEER_NOT_READING, and carries on once they are delivered', async () => {
    const [host, band] = loopbackPair();
    const got = record(band);
    const unit = { command: Command.BAND, payload: new Uint8Array(7_000).fill(0x55) };
    // Sent without awaiting: nothing is delivered until the sender yields.
    const sends = Array.from({ length: 300 }, () =>
      host.send(unit).then(
        () => 'sent',
        (error: TransportError) => error.code,
      ),
    );
    const outcomes = await Promise.all(sends);
    const accepted = outcomes.filter((o) => o === 'sent').length;
    expect(accepted * 7_000).toBeLessThanOrEqual(MAX_UNREAD_BYTES);
    expect(outcomes.slice(accepted)).toEqual(new Array(300 - accepted).fill('PEER_NOT_READING'));
    await until(() => got.units.length === accepted, 'the accepted units');
    await host.send(unit);
    await host.close();
  });
});

describe('loopback scheduling', () => {
  it('hands schedule one task per write and close, and delivers both directions in the order they were sent', async () => {
    const tasks: (() => void)[] = [];
    const [host, band] = pair({ schedule: (t) => tasks.push(t) });
    const order: string[] = [];
    band.onUnit((u) => order.push(`band<-${u.command}`));
    host.onUnit((u) => order.push(`host<-${u.command}`));
    band.onClose((e) => order.push(`band closed ${e?.code}`));
    const settled: string[] = [];
    const outcome = (name: string, sent: Promise<void>) =>
      sent.then(
        () => settled.push(name),
        (e: TransportError) => settled.push(`${name} ${e.code}`),
      );
    const sends = [
      outcome('1', host.send({ command: 1, payload: new Uint8Array(200).fill(1) })),
      outcome('2', band.send({ command: 2, payload: Uint8Array.of(2) })),
      outcome('3', host.send({ command: 3, payload: Uint8Array.of(3) })),
    ];
    const closing = host.close();
    expect(tasks.length).toBe(4);
    expect(order).toEqual([]);
    tasks.shift()!();
    // A send settles once its bytes have arrived, not before.
    expect(order).toEqual(['band<-1']);
    await settle();
    expect(settled).toEqual(['1']);
    while (tasks.length) tasks.shift()!();
    await Promise.all([...sends, closing]);
    // The host stopped receiving when its close() began; what it sent before still arrives, then its close.
    expect(order).toEqual(['band<-1', 'band<-3', 'band closed DISCONNECTED']);
    expect(settled).toEqual(['1', '2 DISCONNECTED', '3']);
  });

  it('rejects writeBytes past MAX_UNREAD_BYTES with PEER_NOT_READING and carries them through otherwise', async () => {
    const [hostSide, band] = pair();
    // A loopback side is a FramedTransport, whose writeBytes conformance tests use (test/support/faulty-transport.ts).
    expect(hostSide).toBeInstanceOf(FramedTransport);
    const host = hostSide as unknown as FramedTransport;
    const got = record(band);
    const frame = encodeFrame({ command: 4, payload: new Uint8Array(7_000).fill(4) });
    const writes = Array.from({ length: 300 }, () =>
      host.writeBytes(frame).then(
        () => 'sent',
        (error: TransportError) => error.code,
      ),
    );
    const outcomes = await Promise.all(writes);
    const accepted = outcomes.filter((o) => o === 'sent').length;
    expect(accepted).toBeGreaterThan(0);
    expect(outcomes.slice(accepted)).toEqual(new Array(300 - accepted).fill('PEER_NOT_READING'));
    await until(() => got.units.length === accepted, 'the accepted frames');
  });

  it('rejects a send still on the wire with the close reason when the sending side loses its link', async () => {
    const tasks: (() => void)[] = [];
    const [host, band] = pair({ schedule: (t) => tasks.push(t) });
    const closing = band.close();
    const send = host.send({ command: 1, payload: Uint8Array.of(1) }).catch((e: unknown) => e);
    tasks.shift()!();
    // The band's close has reached the host; the host's send has not been delivered yet and fails with the reason.
    const error = (await send) as TransportError;
    expect(error.code).toBe('DISCONNECTED');
    expect(host.isOpen).toBe(false);
    while (tasks.length) tasks.shift()!();
    await closing;
  });
});
