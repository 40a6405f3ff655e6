import fc from 'fast-check';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderEntry, traceUnits, type TraceEntry } from '../../host/cli/commands/trace.js';
import { BandMessageCodec, DebugResponseCodec, encodeCanonical } from '../../proto/index.js';
import { Command, RECORDING_HEADER, formatRecordedUnit, type RecordedUnit } from '../../transport/index.js';
import { bandctl as run } from '../support/bandctl.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bandctl-trace-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bandctl = (args: string[], options: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}) => run(args, options);

const ANSI = /\u001b\[/;

describe('bandctl trace: a real recording', () => {
  let file: string;
  let recorded: string[];
  beforeAll(async () => {
    file = join(dir, 'info.rec');
    const run = await bandctl(['--record', file, '--transport', 'loopback?preset=authenticated&user=tw-user2', 'info']);
    expect(run.code, run.stderr).toBe(0);
    recorded = (await readFile(file, 'utf8')).split('\n');
  });

  it('prints one annotated line per unit: line, time, direction, command, decoded message', async () => {
    const { code, stdout, stderr } = await bandctl(['trace', file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^# session \d{4}-\d\d-\d\dT.* loopback:host$/);
    const units = lines.slice(1);
    // GetInfo and GetState, each a request and a reply, and nothing else.
    expect(units).toHaveLength(4);
    expect(units[0]).toMatch(/^ +3 +\d+\.\d{3}s {2}> BAND +#1 getInfo hostVersion=\{major=1 minor=0\}$/);
    expect(units[1]).toMatch(
      /< BAND +#1 getInfo protocolVersion=\{major=1 minor=0\} serialNumber="AAAH-00125" deviceId=[0-9a-f]{32} /,
    );
    expect(units[2]).toMatch(/> BAND +#2 getState$/);
    expect(units[3]).toMatch(
      /< BAND +#2 getState state=BAND_STATE_AUTHENTICATED screen=SCREEN_AUTHENTICATED .*userName="tw-user2" label="TW-USER2"/,
    );
    // The line numbers are the recording's own.
    for (const line of units) {
      const n = Number(/^ +(\d+)/.exec(line)![1]);
      expect(recorded[n - 1]).toMatch(/^\d+ [<>] BAND [0-9a-f]+$/);
    }
    expect(stdout).not.toMatch(/^!/m);
    expect(stdout).not.toMatch(ANSI);
  });

  it('--json prints one document with every entry', async () => {
    const result = await bandctl(['trace', file, '--json']);
    expect(result.code).toBe(0);
    const doc = result.json();
    expect(doc.ok).toBe(true);
    expect(doc.file).toBe(file);
    expect(doc.entries.map((e: TraceEntry) => `${e.direction} ${e.command} ${e.type}`)).toEqual([
      '> BAND getInfo',
      '< BAND getInfo',
      '> BAND getState',
      '< BAND getState',
    ]);
    const [request, reply, , state] = doc.entries;
    expect(request).toMatchObject({ line: 3, fields: { requestId: 1, hostVersion: { major: 1, minor: 0 } } });
    expect(typeof request.at).toBe('number');
    expect(reply.fields).toMatchObject({ requestId: 1, serialNumber: 'AAAH-00125' });
    expect(reply.fields.deviceId).toMatch(/^[0-9a-f]{32}$/);
    expect(state.fields).toMatchObject({ state: 'BAND_STATE_AUTHENTICATED', userName: 'tw-user2' });
    expect(doc.entries.every((e: TraceEntry) => e.error === undefined)).toBe(true);
  });

  it('shows band events as "event KIND field=value" and debug requests, across appended sessions', async () => {
    const enrollment = join(dir, 'enroll.rec');
    const run = await bandctl([
      '--record',
      enrollment,
      '--transport',
      'loopback?seed=trace',
      'enroll',
      '--user',
      'tw-user2',
      '--simulate-user',
      'tw-user2/right-index',
    ]);
    expect(run.code, run.stderr).toBe(0);
    // A second session appended to the same file.
    expect((await bandctl(['--record', enrollment, '--transport', 'loopback', 'state'])).code).toBe(0);
    const { code, stdout } = await bandctl(['trace', enrollment]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/< BAND +event screenChanged screen=SCREEN_ADD_USER state=BAND_STATE_ADD_USER$/m);
    expect(stdout).toMatch(/< BAND +event captureProgress goodTouches=1 touchesRequired=\d+ rejected=false$/m);
    expect(stdout).toMatch(/> DEBUG +#\d+ fingerOn finger="tw-user2\/right-index" poorQuality=false liveness=true$/m);
    expect(stdout).toMatch(/< DEBUG +#\d+ screen screen=SCREEN_SETUP_CODE .*setupCode="\w+"/m);
    expect(stdout).toMatch(/> BAND +#\d+ completeEnrollment userName="tw-user2"/m);
    expect(stdout.match(/^# session /gm)).toHaveLength(2);
  });
});

describe('bandctl trace: what does not decode, and what went wrong', () => {
  const units: [Direction: '>' | '<', command: number, payload: Uint8Array][] = [
    ['>', Command.BAND, Uint8Array.of(0xff, 0xff)], // not a HostMessage
    ['<', Command.BAND, Uint8Array.of(0x08, 0x01)], // a BandMessage with no body
    [
      '<',
      Command.BAND,
      BandMessageCodec.encode({
        requestId: 3,
        body: {
          case: 'error',
          value: { code: 'ERROR_CODE_WRONG_STATE', message: 'no user', state: 'BAND_STATE_UNENROLLED' },
        },
      }),
    ],
    ['>', Command.DEBUG, Uint8Array.of(0x0a)], // truncated
    [
      '<',
      Command.DEBUG,
      DebugResponseCodec.encode({ requestId: 2, result: { case: 'error', value: { message: 'debug link is off' } } }),
    ],
    [
      '>',
      Command.CBOR,
      Uint8Array.of(
        0x01,
        ...encodeCanonical(
          new Map<number, string>([
            [1, 'x'],
            [2, 'y'],
          ]),
        ),
      ),
    ],
    ['<', Command.CBOR, Uint8Array.of(0x00, 0xa1)], // a map that ends early
    ['>', Command.CBOR, Uint8Array.of(0x04)],
    ['<', Command.CBOR, Uint8Array.of(0x2e)],
    ['<', Command.CBOR, new Uint8Array()],
    ['<', Command.ERROR, Uint8Array.of(0x06)],
    ['<', Command.KEEPALIVE, Uint8Array.of(0x02)],
    ['>', 0x50, Uint8Array.of(1, 2, 3)],
  ];

  let file: string;
  beforeAll(async () => {
    file = join(dir, 'garbage.rec');
    const body = units.map(([direction, command, payload], i) =>
      formatRecordedUnit(i * 10, direction, { command, payload }),
    );
    await writeFile(file, `${RECORDING_HEADER}\n${body.join('\n')}\n`);
  });

  it('marks failures with "!", shows undecodable payloads as hex with the reason, and never stops', async () => {
    const { code, stdout, stderr } = await bandctl(['trace', file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(units.length);
    const [
      badHost,
      noBody,
      refusal,
      badDebug,
      debugRefusal,
      makeCredential,
      badCbor,
      getInfo,
      noCredentials,
      emptyCbor,
      hidError,
      keepalive,
      vendor,
    ] = lines;
    expect(badHost).toMatch(/^! +2 .*> BAND +ffff \(undecodable HostMessage: .+\)$/);
    expect(noBody).toMatch(/^! .*< BAND +#1 0801 \(BandMessage #1 has no body\)$/);
    expect(refusal).toMatch(
      /^! .*< BAND +#3 error code=ERROR_CODE_WRONG_STATE message="no user" state=BAND_STATE_UNENROLLED$/,
    );
    expect(badDebug).toMatch(/^! .*> DEBUG +0a \(undecodable DebugRequest: .+\)$/);
    expect(debugRefusal).toMatch(/^! .*< DEBUG +#2 error message="debug link is off"$/);
    expect(makeCredential).toMatch(/^ .*> CBOR +authenticatorMakeCredential keys=1:clientDataHash,2:rp$/);
    expect(badCbor).toMatch(/^! .*< CBOR +CTAP2_OK \(authenticatorMakeCredential\) a1 \(undecodable CBOR: .+\)$/);
    expect(getInfo).toMatch(/^ .*> CBOR +authenticatorGetInfo$/);
    expect(noCredentials).toMatch(/^! .*< CBOR +CTAP2_ERR_NO_CREDENTIALS \(authenticatorGetInfo\)$/);
    expect(emptyCbor).toMatch(/^! .*< CBOR +\(empty CBOR reply: no status byte\)$/);
    expect(hidError).toMatch(/^! .*< ERROR +ERR_CHANNEL_BUSY$/);
    expect(keepalive).toMatch(/^ .*< KEEPALIVE UPNEEDED$/);
    expect(vendor).toMatch(/^ .*> VENDOR_0x50 length=3 010203$/);
  });

  it('--json carries the error of each failing entry and the payload as hex', async () => {
    const result = await bandctl(['trace', file, '--json']);
    expect(result.code).toBe(0);
    const { entries } = result.json() as { entries: TraceEntry[] };
    expect(entries.map((e) => e.error !== undefined)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      true,
      false,
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(entries[0]).toMatchObject({
      line: 2,
      at: 0,
      direction: '>',
      command: 'BAND',
      type: null,
      fields: { payload: 'ffff' },
    });
    expect(entries[0].error).toMatch(/^undecodable HostMessage: /);
    expect(entries[2]).toMatchObject({
      type: 'error',
      error: 'ERROR_CODE_WRONG_STATE in BAND_STATE_UNENROLLED: no user',
    });
    expect(entries[5].fields).toMatchObject({ command: 1, keys: [1, 2] });
    expect(entries[8]).toMatchObject({
      type: 'CTAP2_ERR_NO_CREDENTIALS',
      error: 'CTAP2_ERR_NO_CREDENTIALS',
      fields: { status: 0x2e },
    });
    expect(entries[10]).toMatchObject({ type: 'ERR_CHANNEL_BUSY', fields: { code: 6 } });
  });

  it('colours failing lines red only on a terminal, never with --json or NO_COLOR', async () => {
    const tty = await bandctl(['trace', file], { tty: true });
    const lines = tty.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\u001b\[31m! .*\u001b\[0m$/);
    expect(lines[5]).not.toMatch(ANSI);
    expect((await bandctl(['trace', file, '--json'], { tty: true })).stdout).not.toMatch(ANSI);
    expect((await bandctl(['trace', file], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toMatch(ANSI);
  });

  it('decodes any payload on any command without throwing', () => {
    const commands = [
      Command.BAND,
      Command.DEBUG,
      Command.CBOR,
      Command.ERROR,
      Command.KEEPALIVE,
      Command.INIT,
      Command.PING,
      0x7f,
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            direction: fc.constantFrom<'>' | '<'>('>', '<'),
            command: fc.constantFrom(...commands),
            payload: fc.uint8Array({ maxLength: 80 }),
          }),
          { maxLength: 20 },
        ),
        (list) => {
          const recorded: RecordedUnit[] = list.map((u, i) => ({
            line: i + 2,
            at: i,
            direction: u.direction,
            unit: { command: u.command, payload: u.payload },
          }));
          const entries = traceUnits(recorded);
          expect(entries).toHaveLength(list.length);
          for (const entry of entries) {
            // What does not decode says why and keeps its bytes; every entry renders to one line.
            if (entry.error?.startsWith('undecodable')) expect(entry.fields.payload).toBeInstanceOf(Uint8Array);
            const line = renderEntry(entry);
            expect(line).not.toContain('\n');
            expect(line.startsWith('!')).toBe(entry.error !== undefined);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('bandctl trace: files that are not recordings', () => {
  it('exits 1 naming FILE:LINE for a malformed line', async () => {
    const file = join(dir, 'malformed.rec');
    await writeFile(file, `${RECORDING_HEADER}\n10 > BAND 0801\nsoon > BAND 0801\n`);
    const human = await bandctl(['trace', file]);
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain(`${file}:3:`);
    expect(human.stderr).toContain('"soon" as the time');
    const json = await bandctl(['trace', file, '--json']);
    expect(json.code).toBe(1);
    expect(json.json()).toMatchObject({ ok: false, error: { code: 'TRACE_FORMAT' } });
    expect(json.json().error.message).toContain(`${file}:3:`);
  });

  it('exits 1 for a file that is not there, 2 without a FILE', async () => {
    const missing = await bandctl(['trace', join(dir, 'nope.rec')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/expected a recording at .*nope\.rec, got ENOENT/);
    const none = await bandctl(['trace']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/trace: expected one recording FILE, got none/);
  });

  it('says so when a recording holds no units', async () => {
    const file = join(dir, 'empty.rec');
    await writeFile(file, `${RECORDING_HEADER}\n`);
    const { code, stdout } = await bandctl(['trace', file]);
    expect(code).toBe(0);
    expect(stdout).toBe(`(no units recorded in ${file})\n`);
  });
});
