import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cobsEncode } from '../../transport/cobs.js';
import { TransportError } from '../../transport/errors.js';
import { decodeFrame, encodeFrame, MAX_ENCODED_FRAME_LENGTH, MAX_FRAME_PAYLOAD } from '../../transport/frame.js';
import { commandArb, payloadOfSize, payloadSizeArb, sameUnit, unitArb } from './helpers.js';

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    return (e as TransportError).code;
  }
  return undefined;
}

/** A frame built by hand, so oversize and bad commands can be produced past encodeFrame's checks. */
function handFrame(command: number, payload: Uint8Array, crcOverride?: number): Uint8Array {
  const raw = new Uint8Array(payload.length + 5);
  raw[0] = command;
  raw.set(payload, 1);
  const crc = crcOverride ?? crc32(raw.subarray(0, payload.length + 1));
  new DataView(raw.buffer).setUint32(payload.length + 1, crc, true);
  return cobsEncode(raw);
}

const cobsHex = (block: Uint8Array) => Buffer.concat([block, Buffer.of(0)]).toString('hex');

describe('frame', () => {
  it('is the CTAPHID message ceiling', () => {
    expect(MAX_FRAME_PAYLOAD).toBe(7609);
  });

  it('round-trips every payload size 0..7609, ends in exactly one 0x00', () => {
    fc.assert(
      fc.property(commandArb, payloadSizeArb, fc.nat(), (command, size, seed) => {
        const unit = { command, payload: payloadOfSize(size, seed) };
        const wire = encodeFrame(unit);
        expect(wire[wire.length - 1]).toBe(0);
        expect(wire.indexOf(0)).toBe(wire.length - 1);
        expect(wire.length - 1).toBeLessThanOrEqual(MAX_ENCODED_FRAME_LENGTH);
        expect(sameUnit(decodeFrame(wire.subarray(0, -1)), unit)).toBe(true);
      }),
      { numRuns: 300 },
    );
    for (const size of [0, 1, 253, 254, 255, 7609]) {
      const unit = { command: 0x41, payload: new Uint8Array(size).fill(0xa5) };
      expect(sameUnit(decodeFrame(encodeFrame(unit).subarray(0, -1)), unit)).toBe(true);
    }
  });

  it('frames an empty payload the same whether or not its ArrayBuffer exists yet', () => {
    // Reading `.buffer` gives an empty array a zero-length ArrayBuffer with no data pointer, which zlib's crc32
    // takes for "start afresh": the frame must not depend on it (the recorder reads `.buffer` before sending).
    const touched = new Uint8Array(0);
    expect(touched.buffer.byteLength).toBe(0);
    const fresh = encodeFrame({ command: 0x01, payload: new Uint8Array(0) });
    expect([...encodeFrame({ command: 0x01, payload: touched })]).toEqual([...fresh]);
    expect(Buffer.from(fresh).toString('hex')).toBe(cobsHex(handFrame(0x01, new Uint8Array(0))));
    const decoded = decodeFrame(fresh.subarray(0, -1));
    expect(decoded.command).toBe(0x01);
    expect(decoded.payload.length).toBe(0);
  });

  it('decodes a frame the same from a small array, a pooled one or a chunk of a larger one', () => {
    fc.assert(
      fc.property(unitArb(120), fc.integer({ min: 0, max: 40 }), (unit, offset) => {
        const wire = encodeFrame(unit);
        const inChunk = new Uint8Array(offset + wire.length + 7).fill(0x33);
        inChunk.set(wire, offset);
        const framed = inChunk.subarray(offset, offset + wire.length - 1);
        expect(sameUnit(decodeFrame(framed), unit)).toBe(true);
        expect(sameUnit(decodeFrame(Uint8Array.from(framed)), unit)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('matches an independently computed vector (Python zlib.crc32, little-endian, COBS)', () => {
    const wire = encodeFrame({ command: 0x01, payload: new TextEncoder().encode('123456789') });
    expect(Buffer.from(wire).toString('hex')).toBe('0f01313233343536373839c02eb52100');
  });

  it('detects every single-byte corruption of the COBS block', () => {
    fc.assert(
      fc.property(unitArb(300), fc.nat(), fc.integer({ min: 1, max: 255 }), (unit, where, delta) => {
        const block = Uint8Array.from(encodeFrame(unit).subarray(0, -1));
        const at = where % block.length;
        block[at] = (block[at] + delta) & 0xff;
        expect(['FRAME_COBS', 'FRAME_CRC', 'FRAME_TOO_SHORT']).toContain(errorCode(() => decodeFrame(block)));
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects oversize payloads on both sides', () => {
    const big = { command: 0x41, payload: new Uint8Array(MAX_FRAME_PAYLOAD + 1) };
    expect(errorCode(() => encodeFrame(big))).toBe('FRAME_TOO_LARGE');
    expect(errorCode(() => decodeFrame(handFrame(0x41, big.payload)))).toBe('FRAME_TOO_LARGE');
    const huge = new Uint8Array(MAX_ENCODED_FRAME_LENGTH + 1).fill(1);
    expect(errorCode(() => decodeFrame(huge))).toBe('FRAME_TOO_LARGE');
  });

  it('rejects frames shorter than command + CRC', () => {
    for (let n = 0; n < 5; n++) {
      expect(errorCode(() => decodeFrame(cobsEncode(new Uint8Array(n).fill(3))))).toBe('FRAME_TOO_SHORT');
    }
  });

  it('rejects a CRC-valid frame whose command has the top bit set, and bad units on encode', () => {
    expect(errorCode(() => decodeFrame(handFrame(0x90, Uint8Array.of(1))))).toBe('FRAME_BAD_COMMAND');
    expect(errorCode(() => encodeFrame({ command: 0x80, payload: new Uint8Array() }))).toBe('BAD_UNIT');
    expect(errorCode(() => encodeFrame({ command: 1.5, payload: new Uint8Array() }))).toBe('BAD_UNIT');
    expect(errorCode(() => encodeFrame({ command: 1, payload: [1, 2] as unknown as Uint8Array }))).toBe('BAD_UNIT');
  });

  it('explains a CRC failure with both values', () => {
    try {
      decodeFrame(handFrame(0x01, Uint8Array.of(1, 2, 3), 0x12345678));
      expect.unreachable();
    } catch (e) {
      expect((e as TransportError).code).toBe('FRAME_CRC');
      expect((e as Error).message).toMatch(/expected CRC-32 0x[0-9a-f]{8} .*got 0x12345678/);
    }
  });
});
