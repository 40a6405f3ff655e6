import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Command, HidError } from '../../proto/ctaphid.js';
import {
  BROADCAST_CID,
  CONT_DATA_SIZE,
  CTAPHID_MAX_MESSAGE,
  HID_REPORT_SIZE,
  INIT_DATA_SIZE,
  packetize,
  Reassembler,
  type HidMessage,
} from '../../transport/ctaphid.js';
import { decodeInitResponse, encodeInitResponse } from '../../transport/ctaphid-init.js';
import { CtapHidError, TransportError } from '../../transport/errors.js';
import { commandArb, payloadOfSize, payloadSizeArb } from './helpers.js';

const cidArb = fc.integer({ min: 1, max: 0xfffffffe });

function feed(r: Reassembler, reports: Uint8Array[]): (HidMessage | CtapHidError)[] {
  return reports.flatMap((report) => r.push(report));
}
function codes(items: (HidMessage | CtapHidError)[]): string[] {
  return items.map((i) =>
    i instanceof CtapHidError ? `${i.code}@${i.cid.toString(16)}` : `msg@${i.cid.toString(16)}`,
  );
}
const hex = (cid: number) => cid.toString(16);

describe('CTAPHID packets', () => {
  it('round-trips every message size 0..7609 with zero padding', () => {
    fc.assert(
      fc.property(cidArb, commandArb, payloadSizeArb, fc.nat(), (cid, command, size, seed) => {
        const payload = payloadOfSize(size, seed);
        const reports = packetize(cid, command, payload);
        expect(reports.length).toBe(1 + Math.ceil(Math.max(0, size - INIT_DATA_SIZE) / CONT_DATA_SIZE));
        for (const r of reports) expect(r.length).toBe(HID_REPORT_SIZE);
        const last = reports[reports.length - 1];
        const used =
          reports.length === 1 ? 7 + size : 5 + (size - INIT_DATA_SIZE - (reports.length - 2) * CONT_DATA_SIZE);
        expect(last.subarray(used).every((b) => b === 0)).toBe(true);
        const out = feed(new Reassembler(), reports);
        expect(out.length).toBe(1);
        const message = out[0] as HidMessage;
        expect(message.cid).toBe(cid);
        expect(message.command).toBe(command);
        expect(Buffer.from(message.payload).equals(Buffer.from(payload))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('uses the full sequence range at the maximum size and refuses one byte more', () => {
    const reports = packetize(1, Command.CBOR, new Uint8Array(CTAPHID_MAX_MESSAGE));
    expect(reports.length).toBe(129);
    expect(reports[128][4]).toBe(127);
    expect(() => packetize(1, Command.CBOR, new Uint8Array(CTAPHID_MAX_MESSAGE + 1))).toThrow(TransportError);
    expect(() => packetize(1, 0x80, new Uint8Array())).toThrow(/0x7f/);
  });

  it('lays out every packet byte as CTAP 2.1 §11.2.4 says, whether reports are separate arrays or views of one block', () => {
    // Sizes either side of the one-, two- and three-report boundaries, and the largest message.
    for (const size of [0, 1, 57, 58, 116, 117, 118, 175, 176, 1024, CTAPHID_MAX_MESSAGE]) {
      const cid = 0xa1b2c3d4;
      const payload = payloadOfSize(size, size);
      const reports = packetize(cid, Command.CBOR, payload);
      const expected: number[][] = [];
      const init = [0xa1, 0xb2, 0xc3, 0xd4, Command.CBOR | 0x80, size >>> 8, size & 0xff, ...payload.subarray(0, 57)];
      expected.push([...init, ...new Array<number>(HID_REPORT_SIZE - init.length).fill(0)]);
      for (let at = 57, seq = 0; at < size; at += 59, seq++) {
        const cont = [0xa1, 0xb2, 0xc3, 0xd4, seq, ...payload.subarray(at, at + 59)];
        expected.push([...cont, ...new Array<number>(HID_REPORT_SIZE - cont.length).fill(0)]);
      }
      expect(reports.map((r) => [...r])).toEqual(expected);
    }
  });

  it('lays out the init packet as CID big-endian | CMD|0x80 | BCNT big-endian', () => {
    const [init] = packetize(0x01020304, Command.PING, new Uint8Array(300));
    expect([...init.subarray(0, 7)]).toEqual([1, 2, 3, 4, 0x81, 0x01, 0x2c]);
  });
});

describe('Reassembler errors', () => {
  it('INVALID_SEQ for a skipped, repeated or out-of-order continuation, then recovers', () => {
    fc.assert(
      fc.property(
        cidArb,
        fc.integer({ min: INIT_DATA_SIZE + 2 * CONT_DATA_SIZE + 1, max: 3000 }),
        fc.nat(),
        fc.nat(),
        (cid, size, pick, shift) => {
          const reports = packetize(cid, Command.CBOR, payloadOfSize(size, 3));
          const i = 1 + (pick % (reports.length - 1));
          const broken = [...reports];
          const wrong = Uint8Array.from(broken[i]);
          wrong[4] = (wrong[4] + 1 + (shift % 127)) % 128;
          broken[i] = wrong;
          const r = new Reassembler();
          const out = feed(r, broken.slice(0, i + 1));
          expect(codes(out)).toEqual([`HID_INVALID_SEQ@${hex(cid)}`]);
          expect((out[0] as CtapHidError).hidError).toBe(HidError.INVALID_SEQ);
          expect(codes(feed(r, reports))).toEqual([`msg@${hex(cid)}`]);
        },
      ),
    );
  });

  it('INVALID_SEQ for a continuation with no message in progress', () => {
    const reports = packetize(7, Command.CBOR, new Uint8Array(100));
    expect(codes(feed(new Reassembler(), [reports[1]]))).toEqual(['HID_INVALID_SEQ@7']);
  });

  it('INVALID_LEN for a declared length above 7609 and for a report that is not 64 bytes', () => {
    fc.assert(
      fc.property(cidArb, fc.integer({ min: CTAPHID_MAX_MESSAGE + 1, max: 0xffff }), (cid, length) => {
        const [init] = packetize(cid, Command.CBOR, new Uint8Array(10));
        init[5] = length >> 8;
        init[6] = length & 0xff;
        expect(codes(feed(new Reassembler(), [init]))).toEqual([`HID_INVALID_LEN@${hex(cid)}`]);
      }),
    );
    const [init] = packetize(5, Command.PING, new Uint8Array(1));
    expect(codes(feed(new Reassembler(), [init.subarray(0, 63)]))).toEqual(['HID_INVALID_LEN@5']);
  });

  it('CHANNEL_BUSY for another CID mid-message, which does not disturb the message', () => {
    fc.assert(
      fc.property(cidArb, cidArb, fc.boolean(), (a, b, asInit) => {
        fc.pre(a !== b);
        const first = packetize(a, Command.CBOR, payloadOfSize(200, 1));
        const other = packetize(b, Command.PING, payloadOfSize(100, 2));
        const r = new Reassembler();
        expect(r.busyCid).toBeUndefined();
        const out = feed(r, [first[0], asInit ? other[0] : other[1], ...first.slice(1)]);
        expect(codes(out)).toEqual([`HID_CHANNEL_BUSY@${hex(b)}`, `msg@${hex(a)}`]);
        expect(r.busyCid).toBeUndefined();
      }),
    );
  });

  it('INVALID_CHANNEL for CID 0 and for anything but INIT on broadcast; INIT on broadcast passes', () => {
    fc.assert(
      fc.property(commandArb, (command) => {
        fc.pre(command !== Command.INIT);
        expect(codes(feed(new Reassembler(), packetize(0, command, new Uint8Array(3))))).toEqual([
          'HID_INVALID_CHANNEL@0',
        ]);
        expect(codes(feed(new Reassembler(), packetize(BROADCAST_CID, command, new Uint8Array(3))))).toEqual([
          'HID_INVALID_CHANNEL@ffffffff',
        ]);
      }),
    );
    expect(codes(feed(new Reassembler(), packetize(0, Command.INIT, new Uint8Array(8))))).toEqual([
      'HID_INVALID_CHANNEL@0',
    ]);
    expect(codes(feed(new Reassembler(), packetize(BROADCAST_CID, Command.INIT, new Uint8Array(8))))).toEqual([
      'msg@ffffffff',
    ]);
  });

  it("on the host side, accepts a band's ERROR on the broadcast channel", () => {
    const error = packetize(BROADCAST_CID, Command.ERROR, Uint8Array.of(HidError.CHANNEL_BUSY));
    expect(codes(feed(new Reassembler({ side: 'host' }), error))).toEqual(['msg@ffffffff']);
    expect(codes(feed(new Reassembler(), error))).toEqual(['HID_INVALID_CHANNEL@ffffffff']);
  });

  it('a new init packet on the same CID mid-message restarts reassembly (resync)', () => {
    const first = packetize(9, Command.CBOR, payloadOfSize(500, 1));
    const second = packetize(9, Command.INIT, payloadOfSize(8, 2));
    const r = new Reassembler();
    const out = feed(r, [first[0], first[1], ...second]);
    expect(codes(out)).toEqual(['msg@9']);
    expect((out[0] as HidMessage).command).toBe(Command.INIT);
    expect(codes(feed(r, [first[2]]))).toEqual(['HID_INVALID_SEQ@9']);
  });

  it('MSG_TIMEOUT when packets of one message are more than the timeout apart, on the injected clock', () => {
    let now = 1000;
    const r = new Reassembler({ timeoutMs: 200, now: () => now });
    const reports = packetize(4, Command.CBOR, payloadOfSize(300, 1));
    expect(feed(r, [reports[0]])).toEqual([]);
    expect(r.deadline).toBe(1200);
    now = 1200;
    expect(r.expire()).toBeUndefined();
    expect(feed(r, [reports[1]])).toEqual([]);
    now = 1401;
    const out = feed(r, [reports[2]]);
    // The late packet arrives for a message that no longer exists.
    expect(codes(out)).toEqual(['HID_MSG_TIMEOUT@4', 'HID_INVALID_SEQ@4']);
    expect((out[0] as CtapHidError).hidError).toBe(HidError.MSG_TIMEOUT);
    expect(r.deadline).toBeUndefined();
    feed(r, [reports[0]]);
    now += 201;
    expect(r.expire()?.code).toBe('HID_MSG_TIMEOUT');
    expect(r.busyCid).toBeUndefined();
  });

  it('random report sequences never throw, and every item is a message or a CID-tagged error', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 64, maxLength: 64 }), { maxLength: 40 }), (reports) => {
        const r = new Reassembler({ now: () => 0 });
        for (const item of feed(r, reports)) {
          if (item instanceof CtapHidError) expect(typeof item.cid).toBe('number');
          else expect(item.payload.length).toBeLessThanOrEqual(CTAPHID_MAX_MESSAGE);
        }
      }),
    );
  });
});

describe('INIT response', () => {
  it('round-trips and refuses an unusable channel', () => {
    const response = {
      nonce: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      cid: 0x11223344,
      protocolVersion: 2,
      versionMajor: 1,
      versionMinor: 2,
      versionBuild: 3,
      capabilities: 0x0d,
    };
    const bytes = encodeInitResponse(response);
    expect(bytes.length).toBe(17);
    expect(decodeInitResponse(bytes)).toEqual(response);
    expect(() => decodeInitResponse(encodeInitResponse({ ...response, cid: 0 }))).toThrow(/usable channel/);
    expect(() => decodeInitResponse(bytes.subarray(0, 16))).toThrow(/at least 17/);
  });
});
