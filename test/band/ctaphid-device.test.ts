import { describe, expect, it } from 'vitest';
import { CtapHidDevice, ManualClock, MAX_CHANNELS, serveBand, type BandDevice } from '../../firmware-sim/index.js';
import {
  BROADCAST_CID,
  Command,
  DEFAULT_MAX_MESSAGE_MS,
  DEFAULT_MSG_TIMEOUT_MS,
  HidError,
  KEEPALIVE_INTERVAL_MS,
  KeepaliveStatus,
  Reassembler,
  decodeInitResponse,
  loopbackPair,
  packetize,
  type HidMessage,
  type Unit,
} from '../../transport/index.js';

/**
 * The band's CTAPHID interface in process (issue 11 item 2): a bounded channel table, a trickling sender cut off
 * after a documented bound, KEEPALIVE on the band's clock, and the one-transaction rule shared with the
 * framed endpoints. Every timer runs on a ManualClock, so time passes only when the test says.
 */

/** A band whose CBOR requests wait until the test releases them; anything else is echoed at once. */
function heldBand(clock: ManualClock) {
  const waiting: { unit: Unit; release(): void; signal: AbortSignal }[] = [];
  const device: BandDevice = {
    clock,
    onEvent: () => () => undefined,
    handle: (unit, ctx) => {
      if (unit.command !== Command.CBOR) return Promise.resolve(unit);
      return new Promise<Unit>((resolve) => {
        const release = () => resolve(unit);
        ctx.signal.addEventListener('abort', release);
        waiting.push({ unit, release, signal: ctx.signal });
      });
    },
  };
  return { device, waiting };
}

let counter = 0;
/** A deterministic source of channel ids (never 0 or broadcast). */
const random = (n: number) => {
  counter++;
  return Uint8Array.from({ length: n }, (_, i) => (counter >>> (8 * (n - 1 - i))) & 0xff);
};

/** One host on the device: sends units on a channel and reassembles what comes back. */
function host(device: CtapHidDevice) {
  const reassembler = new Reassembler({ side: 'host' });
  const got: HidMessage[] = [];
  const reply = (report: Uint8Array) => {
    for (const item of reassembler.push(report)) if (!('hidError' in item)) got.push(item);
  };
  let nonce = 0;
  return {
    got,
    send(cid: number, command: number, payload: Uint8Array = new Uint8Array(0)) {
      for (const report of packetize(cid, command, payload)) device.receive(report, reply);
    },
    /** Raw reports, for a sender that breaks the rules on purpose. */
    sendReport(report: Uint8Array) {
      device.receive(report, reply);
    },
    init(): number {
      const n = Uint8Array.of(0, 0, 0, 0, 0, 0, (nonce >> 8) & 0xff, nonce++ & 0xff);
      this.send(BROADCAST_CID, Command.INIT, n);
      const answer = got.pop()!;
      expect(answer.command).toBe(Command.INIT);
      return decodeInitResponse(answer.payload).cid;
    },
    last: () => got[got.length - 1],
  };
}

describe('CTAPHID channels are bounded and recycled', () => {
  it('100 000 INITs never throw, the table stays at MAX_CHANNELS, and the least recently used is forgotten', async () => {
    const clock = new ManualClock();
    const { device } = heldBand(clock);
    const hid = new CtapHidDevice(device, { random, clock });
    const a = host(hid);
    const first = a.init();
    const kept = a.init();
    for (let i = 0; i < 100_000; i++) {
      a.init();
      // `kept` stays in use, so it is never the least recently used.
      if (i % (MAX_CHANNELS - 2) === 0) {
        a.send(kept, Command.WINK);
        await new Promise((resolve) => setImmediate(resolve));
        expect(a.last()).toMatchObject({ cid: kept, command: Command.WINK });
      }
      expect(hid.channelCount).toBeLessThanOrEqual(MAX_CHANNELS);
    }
    expect(hid.channelCount).toBe(MAX_CHANNELS);
    a.send(first, Command.PING, Uint8Array.of(1));
    expect(a.last()).toMatchObject({
      cid: first,
      command: Command.ERROR,
      payload: Uint8Array.of(HidError.INVALID_CHANNEL),
    });
    // A forgotten host runs INIT again and is served.
    const again = a.init();
    a.send(again, Command.PING, Uint8Array.of(2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.last()).toMatchObject({ cid: again, command: Command.PING, payload: Uint8Array.of(2) });
    // The channel kept in use is still known: CANCEL on it is silent, not INVALID_CHANNEL.
    a.send(kept, Command.CANCEL);
    expect(a.last()).toMatchObject({ cid: again, command: Command.PING });
    hid.close();
  }, 120_000);
});

describe('a trickling sender', () => {
  it(`holds the band at most DEFAULT_MAX_MESSAGE_MS (${DEFAULT_MAX_MESSAGE_MS} ms) even with every packet inside the ${DEFAULT_MSG_TIMEOUT_MS} ms gap`, () => {
    const clock = new ManualClock();
    const { device } = heldBand(clock);
    const hid = new CtapHidDevice(device, { random, clock });
    const slow = host(hid);
    const other = host(hid);
    const cid = slow.init();
    const reports = packetize(cid, Command.CBOR, new Uint8Array(7609).fill(7));
    slow.sendReport(reports[0]);
    let sent = 1;
    // One packet every 400 ms: each gap is allowed, the whole is not.
    while (clock.now() + 400 <= DEFAULT_MAX_MESSAGE_MS) {
      clock.advance(400);
      slow.sendReport(reports[sent++]);
      // Meanwhile another host's INIT is refused: the band is mid-message.
      other.send(BROADCAST_CID, Command.INIT, new Uint8Array(8));
      expect(other.last()).toMatchObject({ command: Command.ERROR, payload: Uint8Array.of(HidError.CHANNEL_BUSY) });
    }
    // The cap falls due on the band's clock: MSG_TIMEOUT without waiting for the trickler's next packet.
    clock.advance(400);
    expect(slow.last()).toMatchObject({ cid, command: Command.ERROR, payload: Uint8Array.of(HidError.MSG_TIMEOUT) });
    expect(clock.now()).toBeLessThanOrEqual(DEFAULT_MAX_MESSAGE_MS + 400);
    // The band is free again.
    expect(other.init()).toBeGreaterThan(0);
    hid.close();
  });
});

describe('KEEPALIVE and the one-transaction rule, on the band clock', () => {
  it('HID: KEEPALIVE every KEEPALIVE_INTERVAL_MS of band time while a request runs, none without the clock moving', async () => {
    const clock = new ManualClock();
    const { device, waiting } = heldBand(clock);
    const hid = new CtapHidDevice(device, { random, clock });
    const a = host(hid);
    const cid = a.init();
    a.send(cid, Command.CBOR, Uint8Array.of(1));
    await new Promise((resolve) => setTimeout(resolve, 3 * KEEPALIVE_INTERVAL_MS));
    expect(a.got).toEqual([]);
    clock.advance(10 * KEEPALIVE_INTERVAL_MS);
    expect(a.got.map((m) => [m.command, m.payload[0]])).toEqual(
      new Array(10).fill([Command.KEEPALIVE, KeepaliveStatus.PROCESSING]),
    );
    waiting[0].release();
    await Promise.resolve();
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.last().command).toBe(Command.CBOR);
    const count = a.got.length;
    clock.advance(10 * KEEPALIVE_INTERVAL_MS);
    expect(a.got.length).toBe(count);
    expect(clock.pendingTimers).toBe(0);
    hid.close();
  });

  it('a band behind a framed link and a HID endpoint runs one request at a time across both; DEBUG runs beside it', async () => {
    const clock = new ManualClock();
    const { device, waiting } = heldBand(clock);
    const hid = new CtapHidDevice(device, { random, clock });
    const [hostSide, bandSide] = loopbackPair();
    const serving = serveBand(device, bandSide);
    const framed: Unit[] = [];
    hostSide.onUnit((u) => framed.push(u));
    await hostSide.send({ command: Command.CBOR, payload: Uint8Array.of(1) });
    while (waiting.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const a = host(hid);
    const cid = a.init();
    a.send(cid, Command.CBOR, Uint8Array.of(9));
    expect(a.last()).toMatchObject({ command: Command.ERROR, payload: Uint8Array.of(HidError.CHANNEL_BUSY) });
    a.send(cid, Command.DEBUG, Uint8Array.of(5));
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.last()).toMatchObject({ command: Command.DEBUG, payload: Uint8Array.of(5) });
    // The framed link hears KEEPALIVE on the band clock too.
    clock.advance(3 * KEEPALIVE_INTERVAL_MS);
    while (framed.length < 3) await new Promise((resolve) => setImmediate(resolve));
    expect(framed.map((u) => u.command)).toEqual([Command.KEEPALIVE, Command.KEEPALIVE, Command.KEEPALIVE]);
    waiting[0].release();
    while (framed.length < 4) await new Promise((resolve) => setImmediate(resolve));
    expect(framed[3].command).toBe(Command.CBOR);
    a.send(cid, Command.CBOR, Uint8Array.of(2));
    expect(waiting).toHaveLength(2);
    serving.stop();
    hid.close();
    await hostSide.close();
  });
});
