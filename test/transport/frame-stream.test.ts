import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, MAX_ENCODED_FRAME_LENGTH, MAX_FRAME_PAYLOAD } from '../../transport/frame.js';
import type { Unit } from '../../transport/transport.js';
import { bytesArb, concat, cut, decodeStream, sameUnit, unitArb } from './helpers.js';

describe('frame stream', () => {
  it('yields the same units whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(unitArb(400), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (units, cuts) => {
          const wire = concat(units.map(encodeFrame));
          const { units: got, errors } = await decodeStream(cut(wire, cuts));
          expect(errors).toEqual([]);
          expect(got.length).toBe(units.length);
          got.forEach((u, i) => expect(sameUnit(u, units[i])).toBe(true));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ignores empty segments between consecutive 0x00 (a sender flushing)', async () => {
    const a: Unit = { command: 1, payload: Uint8Array.of(1, 2) };
    const b: Unit = { command: 2, payload: Uint8Array.of() };
    const { units, errors } = await decodeStream([
      Uint8Array.of(0, 0, 0),
      encodeFrame(a),
      Uint8Array.of(0, 0),
      encodeFrame(b),
    ]);
    expect(errors).toEqual([]);
    expect(units.map((u) => u.command)).toEqual([1, 2]);
  });

  it('never delivers a wrong unit after a single-byte corruption, and resynchronises', async () => {
    await fc.assert(
      fc.asyncProperty(
        unitArb(200),
        unitArb(200),
        unitArb(200),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (f1, f2, f3, where, delta, cuts) => {
          const first = Uint8Array.from(encodeFrame(f1));
          const at = where % first.length;
          first[at] = (first[at] + delta) & 0xff;
          const hitDelimiter = at === first.length - 1;
          const wire = concat([first, encodeFrame(f2), encodeFrame(f3)]);
          const { units, errors } = await decodeStream(cut(wire, cuts));
          expect(errors.length).toBeGreaterThan(0);
          // A lost delimiter merges frame 1 into frame 2; frame 3 is always intact.
          const expected = hitDelimiter ? [f3] : [f2, f3];
          expect(units.length).toBe(expected.length);
          units.forEach((u, i) => expect(sameUnit(u, expected[i])).toBe(true));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('detects every position and every value of a corruption (exhaustive, one small frame)', async () => {
    const f1: Unit = { command: 0x41, payload: Uint8Array.of(0, 1, 2, 0, 0, 0xff, 9) };
    const f2: Unit = { command: 0x10, payload: Uint8Array.of(7) };
    const good = encodeFrame(f1);
    for (let at = 0; at < good.length; at++) {
      for (let value = 0; value < 256; value++) {
        if (value === good[at]) continue;
        const bad = Uint8Array.from(good);
        bad[at] = value;
        const { units, errors } = await decodeStream([bad, encodeFrame(f2), encodeFrame(f2)]);
        expect(errors.length, `byte ${at} -> ${value}`).toBeGreaterThan(0);
        expect(
          units.every((u) => sameUnit(u, f2)),
          `byte ${at} -> ${value}`,
        ).toBe(true);
        expect(units.length).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('keeps every frame that follows garbage ending at a delimiter (garbage may hold 0x00)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(bytesArb(300), unitArb(200)), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (pairs, cuts) => {
          const wire = concat(pairs.flatMap(([garbage, unit]) => [garbage, encodeFrame(unit)]));
          const { units } = await decodeStream(cut(wire, cuts));
          // Garbage not ended by 0x00 fuses with the next frame's block; every other frame must arrive.
          const mustArrive = pairs.filter(([g]) => g.length === 0 || g[g.length - 1] === 0).map(([, u]) => u);
          const all = pairs.map(([, u]) => u);
          let next = 0;
          for (const got of units) {
            // Garbage may itself decode as a unit only by CRC accident; every delivered unit must be one of ours, in order.
            while (next < all.length && !sameUnit(all[next], got)) next++;
            expect(next).toBeLessThan(all.length);
            next++;
          }
          for (const u of mustArrive) expect(units.some((g) => sameUnit(g, u))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('discards an oversize run once with FRAME_TOO_LARGE and resyncs at the next 0x00', async () => {
    const after: Unit = { command: 0x41, payload: Uint8Array.of(1, 2, 3) };
    const flood = new Uint8Array(200_000).fill(0x55);
    const chunks = cut(
      flood,
      Array.from({ length: 199 }, (_, i) => (i + 1) * 1000),
    );
    const { units, errors } = await decodeStream([encodeFrame(after), ...chunks, Uint8Array.of(0), encodeFrame(after)]);
    expect(errors.map((e) => e.code)).toEqual(['FRAME_TOO_LARGE']);
    expect(errors[0].message).toMatch(/expected a 0x00 delimiter within \d+ bytes/);
    expect(units.length).toBe(2);
  });

  it('discards an oversize run arriving in one chunk, and one straddling the limit', async () => {
    const after: Unit = { command: 3, payload: Uint8Array.of(9) };
    for (const split of [1, MAX_ENCODED_FRAME_LENGTH - 1, MAX_ENCODED_FRAME_LENGTH, MAX_ENCODED_FRAME_LENGTH + 1]) {
      const flood = new Uint8Array(MAX_ENCODED_FRAME_LENGTH + 1).fill(0x33);
      const { units, errors } = await decodeStream([
        ...cut(concat([flood, Uint8Array.of(0)]), [split]),
        encodeFrame(after),
      ]);
      expect(
        errors.map((e) => e.code),
        `split ${split}`,
      ).toEqual(['FRAME_TOO_LARGE']);
      expect(units.length).toBe(1);
    }
  });

  it('passes the largest valid frame, cut into 1-byte chunks', async () => {
    const unit: Unit = { command: 0x41, payload: new Uint8Array(MAX_FRAME_PAYLOAD).fill(0xee) };
    const wire = encodeFrame(unit);
    const { units, errors } = await decodeStream(
      cut(
        wire,
        Array.from({ length: wire.length }, (_, i) => i),
      ),
    );
    expect(errors).toEqual([]);
    expect(units.length).toBe(1);
    expect(sameUnit(units[0], unit)).toBe(true);
  });

  it('reports a frame left without its delimiter when the stream ends', async () => {
    const wire = encodeFrame({ command: 1, payload: Uint8Array.of(1) });
    const { units, errors } = await decodeStream([wire.subarray(0, -1)], { end: true });
    expect(units).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(['FRAME_TOO_SHORT']);
  });
});
