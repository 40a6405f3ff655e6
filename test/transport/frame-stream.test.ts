import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, MAX_ENCODED_FRAME_LENGTH, MAX_FRAME_PAYLOAD } from '../../transport/frame.js';
import { FrameStreamDecoder } from '../../transport/frame-stream.js';
import type { TransportError } from '../../transport/errors.js';
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

  it('a drained decoder still decodes the next frame split across chunks, again and again', () => {
    const units: Unit[] = [];
    const errors: TransportError[] = [];
    const decoder = new FrameStreamDecoder({ onUnit: (u) => units.push(u), onError: (e) => errors.push(e) });
    const sent: Unit[] = [];
    for (const size of [300, 7, 2_000, 0, 900, MAX_FRAME_PAYLOAD, 64, 1]) {
      const unit: Unit = { command: size % 0x80, payload: new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff) };
      sent.push(unit);
      const wire = encodeFrame(unit);
      // Split in three so the frame is gathered, decoded (the decoder drains), and the next one gathered afresh.
      for (const chunk of cut(wire, [1, Math.floor(wire.length / 2)])) decoder.write(chunk);
    }
    expect(errors).toEqual([]);
    expect(units.length).toBe(sent.length);
    units.forEach((u, i) => expect(sameUnit(u, sent[i])).toBe(true));
  });

  it('keeps many decoders gathering at once apart, however their chunks interleave', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(unitArb(600), { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 400 }),
        (perDecoder, picks) => {
          const got = perDecoder.map(() => [] as Unit[]);
          const errors: TransportError[] = [];
          const decoders = perDecoder.map(
            (_, d) => new FrameStreamDecoder({ onUnit: (u) => got[d].push(u), onError: (e) => errors.push(e) }),
          );
          // Each decoder's stream cut every 8 bytes at its own offset, chunks handed out in an order the picks decide.
          const queues = perDecoder.map((units, d) => {
            const wire = concat(units.map(encodeFrame));
            return cut(
              wire,
              Array.from({ length: Math.ceil(wire.length / 8) }, (_, i) => i * 8 + (d % 5)),
            );
          });
          let pick = 0;
          while (queues.some((q) => q.length > 0)) {
            const open = queues.map((q, d) => (q.length > 0 ? d : -1)).filter((d) => d >= 0);
            const d = open[(picks[pick++ % Math.max(picks.length, 1)] ?? 0) % open.length];
            decoders[d].write(queues[d].shift()!);
          }
          expect(errors).toEqual([]);
          perDecoder.forEach((units, d) => {
            expect(got[d].length).toBe(units.length);
            got[d].forEach((u, i) => expect(sameUnit(u, units[i])).toBe(true));
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('lets a handler gather in another decoder while its own unit is delivered', () => {
    const inner: Unit = { command: 2, payload: new Uint8Array(500).fill(0x21) };
    const outer: Unit = { command: 1, payload: new Uint8Array(700).fill(0x12) };
    const innerWire = encodeFrame(inner);
    const got: Unit[] = [];
    const second = new FrameStreamDecoder({ onUnit: (u) => got.push(u), onError: (e) => expect.fail(e.message) });
    const first = new FrameStreamDecoder({
      onUnit: (u) => {
        got.push(u);
        // Re-entered: the second decoder gathers a split frame of its own before the first one resumes.
        if (u.command === 1) for (const chunk of cut(innerWire, [100, 300])) second.write(chunk);
      },
      onError: (e) => expect.fail(e.message),
    });
    const outerWire = encodeFrame(outer);
    const next: Unit = { command: 3, payload: new Uint8Array(300).fill(0x33) };
    // The outer frame ends mid-chunk; the next frame starts in the same chunk and is gathered after the handler ran.
    const both = concat([outerWire, encodeFrame(next)]);
    for (const chunk of cut(both, [50, outerWire.length + 20])) first.write(chunk);
    expect(got.map((u) => u.command)).toEqual([1, 2, 3]);
    expect(sameUnit(got[0], outer) && sameUnit(got[1], inner) && sameUnit(got[2], next)).toBe(true);
  });

  it('decodes a gathered frame after a damaged gathered one and after an oversize run', () => {
    const units: Unit[] = [];
    const errors: string[] = [];
    const decoder = new FrameStreamDecoder({ onUnit: (u) => units.push(u), onError: (e) => errors.push(e.code) });
    const good: Unit = { command: 5, payload: new Uint8Array(400).fill(0x44) };
    const bad = Uint8Array.from(encodeFrame(good));
    bad[200] ^= 0x01;
    for (const chunk of cut(bad, [100, 300])) decoder.write(chunk);
    for (const chunk of cut(encodeFrame(good), [10])) decoder.write(chunk);
    decoder.write(new Uint8Array(MAX_ENCODED_FRAME_LENGTH - 5).fill(0x66));
    decoder.write(new Uint8Array(10).fill(0x66));
    decoder.write(Uint8Array.of(0));
    for (const chunk of cut(encodeFrame(good), [399])) decoder.write(chunk);
    expect(errors).toEqual(['FRAME_CRC', 'FRAME_TOO_LARGE']);
    expect(units.length).toBe(2);
    units.forEach((u) => expect(sameUnit(u, good)).toBe(true));
  });
});
