import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bandctl, bandctlProcess, type BandctlRun } from '../support/bandctl.js';
import { requireBuilt } from './processes.js';

/**
 * `bandctl --json` on the long commands, as a program driving the binary meets it: stdout is exactly one JSON
 * document (the result), and stderr is one JSON object per line, one per step and per instruction to the person,
 * with the field names the README documents (type, command, step / kind, text, and each step's own fields).
 */
beforeAll(requireBuilt);

/** Every stderr line as a JSON object; fails the test on a line that is not one. */
function events(run: BandctlRun): Record<string, unknown>[] {
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  return lines.map((line) => {
    let parsed: unknown;
    expect(() => (parsed = JSON.parse(line)), `stderr line is JSON: ${line}`).not.toThrow();
    expect(parsed).toEqual(expect.objectContaining({ type: expect.stringMatching(/^(progress|instruction)$/) }));
    return parsed as Record<string, unknown>;
  });
}
const steps = (list: Record<string, unknown>[]) => list.filter((e) => e.type === 'progress');
const instructions = (list: Record<string, unknown>[]) => list.filter((e) => e.type === 'instruction');

describe('bandctl --json streams progress on stderr as JSON lines, one result on stdout', () => {
  let dir = '';
  let file = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bandctl-json-progress-'));
    file = join(dir, 'directory.json');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('wipe: the instruction the person gets, then the step, then one result', async () => {
    const run = await bandctlProcess([
      '--transport',
      'loopback?preset=enrolled&user=bob',
      'wipe',
      '--simulate-user',
      'bob/thumb',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, result: 'deleted' });
    const list = events(run);
    expect(list).toEqual([
      {
        type: 'instruction',
        command: 'wipe',
        kind: 'delete-user-data',
        removeFromWrist: true,
        placeOnCharger: true,
        holdBottomButtonMs: 10_000,
        text: expect.stringMatching(/^Delete user data: take the band off your wrist/),
      },
      { type: 'progress', command: 'wipe', step: 'deleted' },
    ]);
  });

  it('enroll: every step in order, each capture touch counted, the setup code asked for', async () => {
    const run = await bandctlProcess([
      '--transport',
      'loopback?preset=blank',
      'enroll',
      '--user',
      'carol',
      '--simulate-user',
      'carol/thumb',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, userName: 'carol', label: 'CAROL' });
    const list = events(run);
    expect(list.every((e) => e.command === 'enroll')).toBe(true);
    const progress = steps(list);
    expect(progress.map((e) => e.step)).toEqual([
      'wear-band',
      'setup-code',
      'setup-code-verified',
      ...Array(6).fill('capture'),
      'completed',
    ]);
    expect(progress.filter((e) => e.step === 'capture').map((e) => e.goodTouches)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress.at(-1)).toEqual({ type: 'progress', command: 'enroll', step: 'completed', label: 'CAROL' });
    expect(instructions(list).map((e) => e.kind)).toEqual([
      'wear-band',
      'setup-code',
      ...Array(6).fill('touch-sensor'),
    ]);
  });

  it('register-key then reenroll: each step as a line; the re-enrollment carries its enrollment inside', async () => {
    const ALICES_BAND = 'loopback?preset=authenticated&user=alice&serial=AAAH-00125&seed=alices-band';
    const BOBS_BAND = 'loopback?preset=enrolled&user=bob&serial=ACAK-00056&seed=bobs-band';
    const alices = (await bandctl(['--transport', ALICES_BAND, 'info', '--json'])).json().deviceId as string;
    const bobs = (await bandctl(['--transport', BOBS_BAND, 'info', '--json'])).json().deviceId as string;
    for (const args of [
      ['add-user', 'alice'],
      ['add-user', 'bob'],
      ['add-band', 'AAAH-00125', '--device-id', alices],
      ['add-band', 'ACAK-00056', '--device-id', bobs],
      ['assign', '--user', 'alice', '--band', 'AAAH-00125'],
      ['assign', '--user', 'bob', '--band', 'ACAK-00056'],
      ['policy', '--own-band', 'on', '--any-active-band', 'on'],
    ]) {
      const r = await bandctl(['directory', ...args, '--directory', file]);
      expect(r.code, r.stderr).toBe(0);
    }

    const registered = await bandctlProcess([
      '--transport',
      ALICES_BAND,
      'register-key',
      '--user',
      'alice',
      '--directory',
      file,
      '--simulate-user',
      'alice/right-index',
      '--json',
    ]);
    expect(registered.code, registered.stderr).toBe(0);
    const key = registered.json();
    expect(key).toMatchObject({ ok: true, bandSerial: 'AAAH-00125' });
    expect(steps(events(registered))).toEqual([
      { type: 'progress', command: 'register-key', step: 'authenticated' },
      { type: 'progress', command: 'register-key', step: 'challenge', rpId: 'login.example.com' },
      { type: 'progress', command: 'register-key', step: 'credential-created', credentialId: key.credentialId },
      {
        type: 'progress',
        command: 'register-key',
        step: 'registered',
        credentialId: key.credentialId,
        bandSerial: 'AAAH-00125',
      },
    ]);

    const reenrolled = await bandctlProcess([
      '--transport',
      BOBS_BAND,
      'reenroll',
      '--user',
      'alice',
      '--band',
      'ACAK-00056',
      '--directory',
      file,
      '--simulate-user',
      'alice/right-index',
      '--json',
    ]);
    expect(reenrolled.code, reenrolled.stderr).toBe(0);
    expect(reenrolled.json()).toMatchObject({ ok: true, user: 'alice', band: 'ACAK-00056' });
    const list = events(reenrolled);
    expect(list.every((e) => e.command === 'reenroll')).toBe(true);
    const progress = steps(list);
    // Each orchestrator step starts and ends (done or skipped), in the documented order.
    const ends = progress.filter((e) => e.status === 'done' || e.status === 'skipped').map((e) => e.step);
    expect(ends).toEqual(['connect', 'policy', 'delete-user-data', 'enroll', 'fido2', 'directory', 'retire']);
    const inside = progress.filter((e) => e.status === 'progress').map((e) => (e.enroll as { step: string }).step);
    expect(inside).toContain('setup-code-verified');
    expect(inside.filter((s) => s === 'capture')).toHaveLength(6);
    expect(instructions(list).map((e) => e.kind)).toContain('delete-user-data');
  });

  it('a failing run: stdout is still one JSON document, stderr still only JSON lines', async () => {
    const run = await bandctlProcess([
      '--transport',
      'loopback?preset=enrolled&user=bob',
      'enroll',
      '--user',
      'carol',
      '--simulate-user',
      'carol/thumb',
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({ ok: false, error: { code: 'ERROR_CODE_USER_DATA_PRESENT' } });
    events(run);
  });
});
