import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../host/cli/exit-codes.js';
import { BANDSIM, requireBuiltBandsim, startBandsim, type RunningBand } from '../support/bandsim.js';
import { bandctlProcess, PROCESS_DEADLINE_MS, runNode } from '../support/bandctl.js';

/**
 * `bandctl fido2 config` and `make-credential --enterprise` as a user runs them: the built bandctl as a child
 * process, against one bandsim process over UDP-HID (an authenticated band, touch given automatically).
 *
 * Each bandctl process costs about half a second of CPU on a quiet machine, nearly all of it Node loading the
 * library, and a case runs up to nine one after another: on two cores shared with a load average of 40 and more
 * that passed a fixed 60 s. So each process has its own deadline (PROCESS_DEADLINE_MS: a hang fails at once, naming
 * the command), and a case's timeout is its processes' deadlines end to end.
 */
const within = (processes: number) => processes * PROCESS_DEADLINE_MS + 30_000;
const BANDSIM_READY_MS = 45_000 + 15_000;
describe('bandctl fido2 config against bandsim', () => {
  let band: RunningBand;
  let uri: string;
  let state: string;
  const ENTERPRISE_RP = 'corp.example.com';

  beforeAll(async () => {
    requireBuiltBandsim();
    state = await mkdtemp(join(tmpdir(), 'bandsim-enterprise-'));
    band = await startBandsim({ args: ['--state', state, '--enterprise-rp', ENTERPRISE_RP] });
    uri = `udp-hid:127.0.0.1:${band.port}`;
  }, BANDSIM_READY_MS);

  afterAll(async () => {
    await band?.stop();
    if (state) await rm(state, { recursive: true, force: true });
  });

  const bandctl = (...args: string[]) =>
    bandctlProcess(['--transport', uri, ...args], { deadlineMs: PROCESS_DEADLINE_MS });

  async function ok(...args: string[]) {
    const result = await bandctl(...args, '--json');
    expect(result.stderr, `bandctl ${args.join(' ')}: ${result.stdout}`).toBe('');
    expect(result.code).toBe(ExitCode.OK);
    const document = result.json();
    expect(document.ok).toBe(true);
    return document;
  }

  it(
    'enable-enterprise-attestation turns getInfo ep on; make-credential --enterprise then names the band by its device ID',
    { timeout: within(9) },
    async () => {
      const { deviceId } = await ok('info');
      expect((await ok('fido2', 'info')).options.ep).toBe(false);
      // Asked while disabled: the band refuses the parameter (CTAP 2.1 §6.1.2 step 9).
      const disabled = await bandctl('fido2', 'make-credential', '--rp', ENTERPRISE_RP, '--enterprise', 'vendor');
      expect(disabled.code).toBe(ExitCode.FAILED);
      expect(disabled.stderr).toMatch(/CTAP1_ERR_INVALID_PARAMETER/);

      // The band is worn and authenticated: its built-in UV gives the acfg token.
      expect(await ok('fido2', 'config', 'enable-enterprise-attestation')).toEqual({
        ok: true,
        action: 'enable-enterprise-attestation',
        ep: true,
      });
      expect((await ok('fido2', 'info')).options.ep).toBe(true);

      const vendor = await ok('fido2', 'make-credential', '--rp', ENTERPRISE_RP, '--enterprise', 'vendor');
      expect(vendor).toMatchObject({ epAtt: true, attestation: 'certificate', attestedDeviceId: deviceId });
      // Vendor-facilitated for an RP ID the band was not provisioned with: the ordinary (batch) certificate.
      const other = await ok('fido2', 'make-credential', '--rp', 'other.example.com', '--enterprise', 'vendor');
      expect(other).toMatchObject({ epAtt: false, attestation: 'certificate' });
      expect(other.attestedDeviceId).toBeUndefined();
      const platform = await ok('fido2', 'make-credential', '--rp', 'other.example.com', '--enterprise', 'platform');
      expect(platform).toMatchObject({ epAtt: true, attestedDeviceId: deviceId });

      const human = await bandctl('fido2', 'make-credential', '--rp', ENTERPRISE_RP, '--enterprise', 'vendor');
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(
        new RegExp(`^fmt +packed \\(certificate attestation, names device ${deviceId}\\)$`, 'm'),
      );
      expect(human.stdout).toMatch(/^enterprise +yes \(epAtt\)$/m);
    },
  );

  it('toggle-always-uv switches alwaysUv both ways', { timeout: within(4) }, async () => {
    expect(await ok('fido2', 'config', 'toggle-always-uv')).toEqual({
      ok: true,
      action: 'toggle-always-uv',
      alwaysUv: true,
    });
    expect((await ok('fido2', 'info')).options).toMatchObject({ alwaysUv: true, makeCredUvNotRqd: false });
    const human = await bandctl('fido2', 'config', 'toggle-always-uv');
    expect(human.code).toBe(0);
    expect(human.stdout.trim()).toBe('alwaysUv is now off.');
    expect((await ok('fido2', 'info')).options.alwaysUv).toBe(false);
  });

  it(
    'set-min-pin-length raises the minimum with --pin, sets the RP list and forces a too-short PIN to change',
    { timeout: within(7) },
    async () => {
      await ok('fido2', 'pin', 'set', '2580');
      const lower = await bandctl(
        'fido2',
        'config',
        'set-min-pin-length',
        '5',
        '--pin',
        '2580',
        '--rp',
        'a.example.com',
      );
      expect(lower.code).toBe(0);
      expect(lower.stdout).toMatch(/^min PIN length +5$/m);
      expect(lower.stdout).toMatch(/^force PIN change +yes/m);
      // The PIN must now be changed: a token from it is refused until then.
      const blocked = await bandctl('fido2', 'config', 'toggle-always-uv', '--pin', '2580', '--json');
      expect(blocked.code).toBe(ExitCode.FAILED);
      expect(blocked.json()).toMatchObject({ ok: false, error: { code: 'CTAP2_ERR_PIN_POLICY_VIOLATION' } });
      await ok('fido2', 'pin', 'change', '2580', '258025');
      const raised = await ok(
        'fido2',
        'config',
        'set-min-pin-length',
        '6',
        '--rp',
        'a.example.com',
        '--rp',
        'b.example.com',
        '--force-change-pin',
        '--pin',
        '258025',
      );
      expect(raised).toEqual({
        ok: true,
        action: 'set-min-pin-length',
        minPinLength: 6,
        forcePinChange: true,
        rpIds: ['a.example.com', 'b.example.com'],
      });
      await ok('fido2', 'pin', 'change', '258025', '13579135');
      // The minimum only grows: the band refuses a lower one.
      const down = await bandctl('fido2', 'config', 'set-min-pin-length', '5', '--pin', '13579135', '--json');
      expect(down.code).toBe(ExitCode.FAILED);
      expect(down.json()).toMatchObject({ ok: false, error: { code: 'CTAP2_ERR_PIN_POLICY_VIOLATION' } });
    },
  );

  describe('bad arguments exit 2 before the band is asked anything', () => {
    const cases: [string, string[], RegExp][] = [
      ['no action', ['fido2', 'config'], /fido2 config: expected toggle-always-uv \| set-min-pin-length/],
      [
        'an unknown action',
        ['fido2', 'config', 'frobnicate'],
        /expected toggle-always-uv, set-min-pin-length, enable-enterprise-attestation, got 'frobnicate'/,
      ],
      [
        'a length below the PIN floor',
        ['fido2', 'config', 'set-min-pin-length', '3'],
        /expected LENGTH to be a whole number from 4 to 63, got '3'/,
      ],
      [
        'set-min-pin-length with nothing to set',
        ['fido2', 'config', 'set-min-pin-length'],
        /expected LENGTH, --rp ID or --force-change-pin/,
      ],
      [
        '--rp on another action',
        ['fido2', 'config', 'toggle-always-uv', '--rp', 'x.example.com'],
        /--rp goes with set-min-pin-length/,
      ],
      [
        'a length on another action',
        ['fido2', 'config', 'enable-enterprise-attestation', '7'],
        /takes no operand, got '7'/,
      ],
      [
        'more RP IDs than the band keeps',
        [
          'fido2',
          'config',
          'set-min-pin-length',
          ...Array.from({ length: 9 }, (_, i) => ['--rp', `rp${i}.example.com`]).flat(),
        ],
        /at most 8 RP IDs for minPinLength, got 9/,
      ],
      [
        '--enterprise of another kind',
        ['fido2', 'make-credential', '--rp', 'x.example.com', '--enterprise', 'yes'],
        /expected --enterprise vendor or --enterprise platform, got 'yes'/,
      ],
      [
        'two --rp for a ceremony',
        ['fido2', 'make-credential', '--rp', 'a.example.com', '--rp', 'b.example.com'],
        /expected one --rp ID, got 2/,
      ],
    ];
    for (const [what, args, message] of cases) {
      it(what, { timeout: within(1) }, async () => {
        const result = await bandctl(...args);
        expect(result.code).toBe(ExitCode.USAGE);
        expect(result.stderr).toMatch(message);
      });
    }
  });
});

describe('bandsim --enterprise-rp', () => {
  it(
    'burns the list into the band once: a different list on the same --state is refused, a bad RP ID is a usage error',
    { timeout: 2 * BANDSIM_READY_MS + within(2) },
    async () => {
      requireBuiltBandsim();
      const state = await mkdtemp(join(tmpdir(), 'bandsim-enterprise-rp-'));
      try {
        const first = await startBandsim({ args: ['--state', state, '--enterprise-rp', 'a.example.com'] });
        await first.stop();
        // The same list again, or none, starts as before.
        const same = await startBandsim({ args: ['--state', state, '--enterprise-rp', 'a.example.com'] });
        await same.stop();
        const changed = await runNode(
          [BANDSIM, '--udp-hid', '127.0.0.1:0', '--state', state, '--enterprise-rp', 'b.example.com'],
          { deadlineMs: PROCESS_DEADLINE_MS },
        );
        expect(changed.code).toBe(1);
        expect(changed.stderr.trim()).toBe(
          "bandsim: --enterprise-rp: this band's enterprise RP list was provisioned at manufacture (a.example.com) and cannot change; start it without --enterprise-rp, or with a new --state DIR",
        );
        const bad = await runNode([BANDSIM, '--udp-hid', '127.0.0.1:0', '--enterprise-rp', 'https://a.example.com'], {
          deadlineMs: PROCESS_DEADLINE_MS,
        });
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(
          /--enterprise-rp: 'https:\/\/a.example.com' is not an RP ID; give a domain such as login.example.com/,
        );
      } finally {
        await rm(state, { recursive: true, force: true });
      }
    },
  );
});

describe('the per-process deadline these cases rely on', () => {
  it('fails a process that never exits, naming it and what it printed', { timeout: within(1) }, async () => {
    const error = await runNode(['-e', 'console.log("waiting"); setInterval(() => {}, 1000)'], {
      deadlineMs: 2_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^node -e .* did not exit within 2 s \(killed\): a hang\.\nstdout: waiting\n/,
    );
  });
});
