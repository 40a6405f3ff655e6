import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from '../../transport/cobs.js';
import { TransportError } from '../../transport/errors.js';
import { bytesArb } from './helpers.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    return (e as TransportError).code;
  }
  return undefined;
}

describe('COBS', () => {
  it('round-trips any bytes, never emits 0x00 and stays within the length bound', () => {
    fc.assert(
      fc.property(bytesArb(2000), (data) => {
        const encoded = cobsEncode(data);
        expect(encoded.includes(0)).toBe(false);
        expect(encoded.length).toBeLessThanOrEqual(cobsMaxEncodedLength(data.length));
        expect(Buffer.from(cobsDecode(encoded)).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('reaches the length bound for long runs without zeros', () => {
    for (const n of [1, 253, 254, 255, 508, 509, 7614]) {
      const data = new Uint8Array(n).fill(7);
      expect(cobsEncode(data).length).toBe(cobsMaxEncodedLength(n));
    }
  });

  it('encodes the textbook vectors', () => {
    const hex = (a: Uint8Array) => Buffer.from(a).toString('hex');
    expect(hex(cobsEncode(Uint8Array.of()))).toBe('01');
    expect(hex(cobsEncode(Uint8Array.of(0)))).toBe('0101');
    expect(hex(cobsEncode(Uint8Array.of(0, 0)))).toBe('010101');
    expect(hex(cobsEncode(Uint8Array.of(0x11, 0x22, 0, 0x33)))).toBe('0311220233');
    expect(hex(cobsEncode(Uint8Array.of(0x11, 0, 0, 0)))).toBe('0211010101');
    const run254 = Uint8Array.from({ length: 254 }, (_, i) => i + 1);
    expect(hex(cobsEncode(run254))).toBe('ff' + hex(run254));
    const run255 = Uint8Array.from({ length: 255 }, (_, i) => (i % 255) + 1);
    expect(hex(cobsEncode(run255))).toBe('ff' + hex(run255.subarray(0, 254)) + '02' + hex(run255.subarray(254)));
  });

  it('accepts the non-minimal trailing 0x01 group other encoders emit', () => {
    const run254 = new Uint8Array(254).fill(9);
    const nonMinimal = Uint8Array.from([0xff, ...run254, 0x01]);
    expect(Buffer.from(cobsDecode(nonMinimal)).equals(Buffer.from(run254))).toBe(true);
  });

  it('rejects a 0x00 anywhere in the block', () => {
    fc.assert(
      fc.property(bytesArb(300), fc.nat(), (data, where) => {
        const encoded = Uint8Array.from(cobsEncode(data));
        encoded[where % encoded.length] = 0;
        expect(codeOf(() => cobsDecode(encoded))).toBe('FRAME_COBS');
      }),
    );
  });

  it('rejects a code that points past the end, and an empty block', () => {
    expect(codeOf(() => cobsDecode(Uint8Array.of(0x05, 1, 2)))).toBe('FRAME_COBS');
    expect(codeOf(() => cobsDecode(Uint8Array.of(0x02, 1, 0x03, 4)))).toBe('FRAME_COBS');
    expect(codeOf(() => cobsDecode(Uint8Array.of()))).toBe('FRAME_COBS');
    fc.assert(
      fc.property(bytesArb(300), (data) => {
        const encoded = cobsEncode(data);
        // Truncating inside the last group leaves its code pointing past the end.
        const lastCode = lastGroupStart(encoded);
        if (encoded[lastCode] < 2) return;
        const truncated = encoded.subarray(0, encoded.length - 1);
        expect(codeOf(() => cobsDecode(truncated))).toBe('FRAME_COBS');
      }),
    );
  });

  it('names what it expected and what it got', () => {
    try {
      cobsDecode(Uint8Array.of(0x09, 1));
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/expected .*0x9.*past the end/);
    }
  });
});

function lastGroupStart(encoded: Uint8Array): number {
  let at = 0;
  for (;;) {
    const next = at + encoded[at];
    if (next >= encoded.length) return at;
    at = next;
  }
}
