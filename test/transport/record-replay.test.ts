import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from '../../proto/ctaphid.js';
import { TransportError } from '../../transport/errors.js';
import { loopbackPair } from '../../transport/loopback.js';
import { recordTransport } from '../../transport/record.js';
import { formatRecordedUnit, parseRecording } from '../../transport/recording-format.js';
import { openReplay } from '../../transport/replay.js';
import type { Transport, Unit } from '../../transport/transport.js';
import { record, sameUnit, unitArb, until } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'band-recording-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A band that answers every unit with itself, and every BAND unit also with an event. */
function echoBand(band: Transport): void {
  band.onUnit((u) => {
    void band.send(u).catch(() => undefined);
    if (u.command === Command.BAND)
      void band.send({ command: Command.BAND, payload: Uint8Array.of(0xee) }).catch(() => undefined);
  });
}

const script: Unit[] = [
  { command: Command.PING, payload: new Uint8Array() },
  { command: Command.BAND, payload: Uint8Array.of(0x08, 0x01, 0x12, 0x00) },
  { command: 0x43, payload: Uint8Array.of(1) },
  { command: Command.CBOR, payload: Uint8Array.from({ length: 700 }, (_, i) => i & 0xff) },
];

/** Sends each unit and waits for its answers; returns everything the host received. */
async function runScript(t: Transport): Promise<Unit[]> {
  const got = record(t);
  let expected = 0;
  for (const u of script) {
    expected += u.command === Command.BAND ? 2 : 1;
    await t.send(u);
    await until(() => got.units.length === expected, `answers to ${u.command}`);
  }
  return got.units;
}

describe('record and replay', () => {
  it('records a session as readable lines and replays it to the same host script', async () => {
    const file = join(dir, 'session.txt');
    const [hostEnd, band] = loopbackPair();
    echoBand(band);
    let clock = 5000;
    const recorded = recordTransport(hostEnd, file, { now: () => (clock += 3) });
    const live = await runScript(recorded);
    await recorded.close();

    const text = await readFile(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^# band-stack transport recording v1/);
    expect(lines[1]).toMatch(/^# \d{4}-\d\d-\d\dT.* loopback:host$/);
    expect(lines[2]).toBe('3 > PING');
    expect(lines[3]).toBe('6 < PING');
    expect(lines[4]).toBe('9 > BAND 08011200');
    expect(lines).toContain('18 > VENDOR_0x43 01');
    expect(parseRecording(text, file).length).toBe(live.length + script.length);

    const replay = await openReplay(file);
    const replayed = await runScript(replay);
    expect(replayed.length).toBe(live.length);
    replayed.forEach((u, i) => expect(sameUnit(u, live[i])).toBe(true));
    await replay.close();
  });

  it('names the file line, the expected and the actual unit when the host diverges', async () => {
    const file = join(dir, 'diverge.txt');
    await writeFile(file, ['# header', '0 > PING 01', '1 < PING 01', '', '2 > BAND 0a0b', '3 < BAND 0c'].join('\n'));
    const replay = await openReplay(file);
    const got = record(replay);
    await replay.send({ command: Command.PING, payload: Uint8Array.of(1) });
    await until(() => got.units.length === 1, 'the recorded answer');
    const error = (await replay
      .send({ command: Command.BAND, payload: Uint8Array.of(0x0a, 0xff) })
      .catch((e: unknown) => e)) as TransportError;
    expect(error).toBeInstanceOf(TransportError);
    expect(error.code).toBe('REPLAY_MISMATCH');
    expect(error.message).toContain(`${file}:5:`);
    expect(error.message).toContain('expected > BAND 0a0b');
    expect(error.message).toContain('got > BAND 0aff');
    expect(error.message).toContain('payload byte 1 differs');
    // The replay stays where it was: the right unit still gets the recorded answer.
    await replay.send({ command: Command.BAND, payload: Uint8Array.of(0x0a, 0x0b) });
    await until(() => got.units.length === 2, 'the second answer');
    const past = (await replay
      .send({ command: Command.PING, payload: new Uint8Array() })
      .catch((e: unknown) => e)) as TransportError;
    expect(past.code).toBe('REPLAY_MISMATCH');
    expect(past.message).toMatch(/ends at line 6/);
    await replay.close();
  });

  it('delivers unprompted band units before the first host unit', async () => {
    const file = join(dir, 'events.txt');
    await writeFile(file, '0 < BAND 01\n0 < BAND 02\n5 > PING\n6 < PING\n');
    const replay = await openReplay(file);
    const got = record(replay);
    await until(() => got.units.length === 2, 'the two events');
    expect(got.units.map((u) => u.payload[0])).toEqual([1, 2]);
    await replay.close();
  });

  it('refuses a malformed recording with REPLAY_FORMAT naming the line', async () => {
    const cases: [string, RegExp][] = [
      ['0 > PING\nx > PING', /:2: .*"x" as the time/],
      ['# c\n\n0 = PING', /:3: .*"=" as the direction/],
      ['0 > NOPE 00', /:1: .*"NOPE" as the command/],
      ['0 > 0x80', /:1: .*"0x80" as the command/],
      ['0 > PING abc', /:1: .*even number of hex digits/],
      ['0 > PING 00 00', /:1: .*got 5 fields/],
    ];
    for (const [text, pattern] of cases) {
      const file = join(dir, 'bad.txt');
      await writeFile(file, text);
      const error = (await openReplay(file).catch((e: unknown) => e)) as TransportError;
      expect(error.code, text).toBe('REPLAY_FORMAT');
      expect(error.message, text).toMatch(pattern);
    }
    const missing = (await openReplay(join(dir, 'missing.txt')).catch((e: unknown) => e)) as TransportError;
    expect(missing.code).toBe('OPEN_FAILED');
  });

  it('formats and parses any unit in either direction', () => {
    fc.assert(
      fc.property(unitArb(300), fc.constantFrom('>' as const, '<' as const), fc.nat(), (unit, direction, at) => {
        const [parsed] = parseRecording(formatRecordedUnit(at, direction, unit), 'x');
        expect(parsed.direction).toBe(direction);
        expect(parsed.at).toBe(at);
        expect(sameUnit(parsed.unit, unit)).toBe(true);
      }),
    );
  });

  it('refuses to record into a directory that does not exist', () => {
    const [hostEnd] = loopbackPair();
    expect(() => recordTransport(hostEnd, join(dir, 'no', 'such', 'dir.txt'))).toThrow(
      /expected to append a recording/,
    );
    void hostEnd.close();
  });
});
