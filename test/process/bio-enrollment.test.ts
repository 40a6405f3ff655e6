import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bandctl, killAll, requireBuilt, startBandsim } from './processes.js';

beforeAll(requireBuilt);
afterEach(killAll);

const FINGER = 'tw-user3/right-index';
const PIN = '2468';

/**
 * `bandctl fido2 bio` as a rig or an administrator meets it: separate bandctl processes against a bandsim process
 * (UDP-HID, the transport FIDO2 platforms use), the simulated wearer on the band's debug link.
 */
describe('bandctl fido2 bio against bandsim', () => {
  it('sets a PIN, enrolls the wearer over CTAP, lists, renames and removes the fingerprint', async () => {
    const band = await startBandsim(['--udp-hid', '127.0.0.1:0', '--preset', 'blank', '--debug-link']);
    const at = ['--transport', `udp-hid:${band.endpoints['udp-hid']}`];
    const fido2 = (...args: string[]) => bandctl([...at, 'fido2', ...args]);
    const json = async (...args: string[]) => {
      const run = await fido2(...args, '--json');
      expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
      return run.json();
    };

    expect(await json('bio', 'info')).toEqual({
      ok: true,
      modality: 1,
      fingerprintKind: 1,
      maxCaptureSamplesRequiredForEnroll: 6,
      maxTemplateFriendlyName: 12,
    });
    // Without a PIN the be token cannot be had: a usage error names the fix before the band is asked.
    const noPin = await fido2('bio', 'enroll', '--simulate-user', FINGER);
    expect(noPin.code).toBe(2);
    expect(noPin.stderr).toMatch(/needs --pin PIN .*bandctl fido2 pin set NEW/);

    await json('pin', 'set', PIN);
    expect((await json('bio', 'list', '--pin', PIN)).templates).toEqual([]);

    // The simulated person puts the band on and touches the sensor each time the band asks (KEEPALIVE UPNEEDED).
    const human = await fido2('bio', 'enroll', '--pin', PIN, '--simulate-user', FINGER);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr.match(/^sample \d: good/gm)).toHaveLength(6);
    expect(human.stderr).toMatch(/^sample 6: good, 0 more to go$/m);
    const templateId = /^Fingerprint enrolled: template ([0-9a-f]{32}) \(6 samples\)\.$/m.exec(human.stdout)?.[1];
    expect(templateId, human.stdout).toBeDefined();
    const userName = `local-${templateId!.slice(0, 8)}`;
    expect(human.stdout).toContain(`The band holds the local user ${userName}`);

    const state = await bandctl([...at, 'state', '--json']);
    expect(state.json()).toMatchObject({
      enrolled: true,
      localUser: true,
      userName,
      state: 'BAND_STATE_AUTHENTICATION_REQUIRED',
    });

    expect((await json('bio', 'list', '--pin', PIN)).templates).toEqual([
      { templateId, name: `LOCAL-${templateId!.slice(0, 6).toUpperCase()}` },
    ]);
    expect(await json('bio', 'rename', templateId!, 'Index', '--pin', PIN)).toEqual({
      ok: true,
      templateId,
      name: 'INDEX',
    });

    // One fingerprint per band: a second enrollment is refused in bandctl's words, with the CTAP status.
    const again = await fido2('bio', 'enroll', '--pin', PIN, '--simulate-user', FINGER, '--json');
    expect(again.code).toBe(1);
    expect(again.json().error).toEqual({
      code: 'CTAP2_ERR_FP_DATABASE_FULL',
      message:
        "the band holds its wearer's fingerprint already (one per band); delete user data first with 'bandctl wipe' (CTAP2_ERR_FP_DATABASE_FULL)",
    });

    const unknown = await fido2('bio', 'remove', '00'.repeat(16), '--pin', PIN);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no fingerprint with that id; see 'bandctl fido2 bio list --pin PIN'/);
    expect(await json('bio', 'remove', templateId!, '--pin', PIN)).toEqual({ ok: true, templateId });
    expect((await json('bio', 'list', '--pin', PIN)).templates).toEqual([]);
    expect((await bandctl([...at, 'state', '--json'])).json()).toMatchObject({ enrolled: false, localUser: false });
    await band.stop();
  }, 90_000);

  it('a sample nobody gives ends the enrollment with advice; a directory user cannot be removed', async () => {
    const band = await startBandsim([
      '--udp-hid',
      '127.0.0.1:0',
      '--preset',
      'authenticated',
      '--user',
      'tw-user2',
      '--debug-link',
    ]);
    const at = ['--transport', `udp-hid:${band.endpoints['udp-hid']}`];
    const fido2 = (...args: string[]) => bandctl([...at, 'fido2', ...args]);
    expect((await fido2('pin', 'set', PIN)).code).toBe(0);
    const listed = (await fido2('bio', 'list', '--pin', PIN, '--json')).json();
    const [template] = listed.templates;
    expect(template.name).toBe('TW-USER2');
    const remove = await fido2('bio', 'remove', template.templateId, '--pin', PIN, '--json');
    expect(remove.code).toBe(1);
    expect(remove.json().error.code).toBe('CTAP2_ERR_OPERATION_DENIED');
    expect(remove.json().error.message).toMatch(/directory user .* goes only with delete user data \('bandctl wipe'\)/);
    const bad = await fido2('bio', 'rename', 'xyz', 'A', '--pin', PIN);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expected TEMPLATE_ID in hex/);
    await band.stop();

    // A blank band worn by nobody's finger: the band gives up after --sample-timeout, nothing is stored.
    const blank = await startBandsim(['--udp-hid', '127.0.0.1:0', '--preset', 'blank', '--debug-link']);
    const on = ['--transport', `udp-hid:${blank.endpoints['udp-hid']}`];
    expect((await bandctl([...on, 'fido2', 'pin', 'set', PIN])).code).toBe(0);
    expect((await bandctl([...on, 'debug', 'wrist', 'on'])).code).toBe(0);
    const timedOut = await bandctl([...on, 'fido2', 'bio', 'enroll', '--pin', PIN, '--sample-timeout', '300']);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toMatch(/nobody touched the sensor in time.*CTAP2_ERR_USER_ACTION_TIMEOUT/);
    expect(timedOut.stderr).toMatch(/Touch the sensor/);
    expect((await bandctl([...on, 'state', '--json'])).json()).toMatchObject({
      enrolled: false,
      state: 'BAND_STATE_UNENROLLED',
    });
    await blank.stop();
  }, 90_000);
});
