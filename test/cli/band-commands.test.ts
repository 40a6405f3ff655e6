import { describe, expect, it } from 'vitest';
import { bandctl as run } from '../support/bandctl.js';

const bandctl = (args: string[], stdinText?: string) => run(args, { stdin: stdinText });

const AUTHENTICATED = 'loopback?preset=authenticated&user=tw-user2&serial=AAAH-00125';

describe('bandctl band commands', () => {
  it('info --json: serial number, state and enrolled user', async () => {
    const r = await bandctl(['--transport', AUTHENTICATED, 'info', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      serialNumber: 'AAAH-00125',
      state: 'authenticated',
      userName: 'tw-user2',
      enrolled: true,
    });
  });

  it('state prints the GetState fields as info does: no enum prefixes, lower-case, empty fields left out', async () => {
    const r = await bandctl(['--transport', AUTHENTICATED, 'state']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^state +authenticated$/m);
    expect(r.stdout).toMatch(/^screen +authenticated$/m);
    expect(r.stdout).toMatch(/^userName +tw-user2$/m);
    expect(r.stdout).not.toMatch(/BAND_STATE_|SCREEN_/);
    const blank = await bandctl(['--transport', 'loopback', 'state']);
    expect(blank.stdout).toMatch(/^state +unenrolled$/m);
    expect(blank.stdout).not.toMatch(/^(userName|label)\b/m);
    // --json keeps every field as the band sent it.
    const json = JSON.parse((await bandctl(['--transport', 'loopback', 'state', '--json'])).stdout);
    expect(json).toMatchObject({ state: 'BAND_STATE_UNENROLLED', screen: 'SCREEN_NO_USER', userName: '', label: '' });
  });

  it('debug screen and actions print states and screens as people read them; --json is unchanged', async () => {
    const screen = await bandctl(['--transport', AUTHENTICATED, 'debug', 'screen']);
    expect(screen.code).toBe(0);
    expect(screen.stdout).toMatch(/^state +authenticated$/m);
    expect(screen.stdout).not.toMatch(/BAND_STATE_|SCREEN_|^setupCode/m);
    const press = await bandctl(['--transport', AUTHENTICATED, 'debug', 'wrist', 'off']);
    expect(press.stdout).toBe('ok — the band shows blank\n');
    const json = JSON.parse((await bandctl(['--transport', AUTHENTICATED, 'debug', 'screen', '--json'])).stdout);
    expect(json).toMatchObject({ ok: true, state: 'BAND_STATE_AUTHENTICATED', setupCode: '' });
  });

  it('a debug action the band refuses names the action once', async () => {
    const r = await bandctl(['--transport', AUTHENTICATED, 'debug', 'reseed', 'x'.repeat(65), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toMatch(/^debug reseed: expected a seed of at most 64 bytes, got 65/);
  });

  it('wipe with a simulated person: USER DATA DELETED; without one, the instructions are shown and the wait times out', async () => {
    const done = await bandctl([
      '--transport',
      AUTHENTICATED,
      'wipe',
      '--simulate-user',
      'tw-user2/right-index',
      '--json',
    ]);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ ok: true, result: 'deleted', state: 'BAND_STATE_UNENROLLED' });

    const waiting = await bandctl(['--transport', AUTHENTICATED, 'wipe', '--wait', '200']);
    expect(waiting.code).toBe(4);
    expect(waiting.stderr).toMatch(
      /take the band off your wrist, then place it on its charger, then hold the bottom button for 10 s/,
    );
  });

  it('enroll on a blank band with a simulated person: setup code read off the display, six touches', async () => {
    const r = await bandctl([
      '--transport',
      'loopback',
      'enroll',
      '--user',
      'alice',
      '--label',
      'Alice 1',
      '--simulate-user',
      'alice/thumb',
      '--json',
    ]);
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, userName: 'alice', label: 'ALICE 1' });
  });

  it('enroll refuses a band that still holds user data, naming the fix', async () => {
    const r = await bandctl([
      '--transport',
      AUTHENTICATED,
      'enroll',
      '--user',
      'alice',
      '--simulate-user',
      'alice/thumb',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/USER_DATA_PRESENT|delete user data/i);
  });

  it('enroll with a person at the terminal who does nothing: told to wear the band, then a timeout (exit 4)', async () => {
    const r = await bandctl(['--transport', 'loopback', 'enroll', '--user', 'alice', '--step-timeout', '200'], '');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/Put the band on your wrist/);
    expect(r.stderr).toMatch(/waiting for the band to be worn/);
  });

  it('debug actions answer with the screen; an unknown action is a usage error', async () => {
    const r = await bandctl(['--transport', AUTHENTICATED, 'debug', 'wrist', 'off', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      action: 'wrist',
      state: 'BAND_STATE_AUTHENTICATION_REQUIRED',
    });
    const bad = await bandctl(['--transport', AUTHENTICATED, 'debug', 'juggle']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown action 'juggle'/);
  });

  it('an unreachable band exits 3 with a typed message, not a stack trace', async () => {
    const r = await bandctl(['--transport', 'tcp:127.0.0.1:1', 'info', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'OPEN_FAILED' } });
  });

  it('--help lists the commands and exit codes; no command is a usage error', async () => {
    const help = await bandctl(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/exit codes:/);
    for (const c of ['list', 'info', 'wipe', 'enroll', 'reenroll', 'debug', 'directory'])
      expect(help.stdout).toContain(`  ${c}`);
    expect((await bandctl([])).code).toBe(2);
    expect((await bandctl(['frobnicate'])).code).toBe(2);
  });

  it('list reports serial ports and HID devices (or why HID is unavailable)', async () => {
    const r = await bandctl(['list', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Array.isArray(doc.serial.ports)).toBe(true);
    expect(Array.isArray(doc.hid)).toBe(true);
  });
});
