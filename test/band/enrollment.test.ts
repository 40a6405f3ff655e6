import { describe, expect, it } from 'vitest';
import { SETUP_CODE_ALPHABET, checkCustomLabel, defaultLabel } from '../../firmware-sim/index.js';
import { Command } from '../../transport/index.js';
import { DirectRig, FINGER, USER, enroll } from './harness.js';

async function toAddUser(rig: DirectRig) {
  await rig.wrist(true);
  await rig.call('startEnrollment', {});
  await rig.call('verifySetupCode', { setupCode: (await rig.readScreen()).setupCode });
}

async function toCaptured(rig: DirectRig, finger = FINGER) {
  await toAddUser(rig);
  await rig.call('startCapture', {});
  for (let i = 0; i < 6; i++) await rig.touch(finger);
}

describe('setup code', () => {
  it('is 6 characters of the no-confusion alphabet, shown only on the display', async () => {
    const rig = new DirectRig();
    await rig.wrist(true);
    const reply = await rig.call('startEnrollment', {});
    expect(reply.setupCodeLength).toBe(6);
    expect(new Uint8Array(reply.deviceId)).toEqual(rig.band.deviceId);
    expect(reply.deviceId).toHaveLength(16);
    const { setupCode, screen } = await rig.readScreen();
    expect(screen).toBe('SCREEN_SETUP_CODE');
    expect(setupCode).toMatch(new RegExp(`^[${SETUP_CODE_ALPHABET}]{6}$`));
    // Nothing the band sent over the band protocol carries the code (the debug link's reading does).
    const code = Buffer.from(setupCode);
    const band = rig.out.filter((u) => u.command === Command.BAND);
    expect(band.length).toBeGreaterThan(2);
    for (const unit of band) expect(Buffer.from(unit.payload).includes(code)).toBe(false);
    expect(rig.out.some((u) => u.command === Command.DEBUG && Buffer.from(u.payload).includes(code))).toBe(true);
  });

  it('a fresh code on start_enrollment replaces the one shown when the band went on the wrist', async () => {
    const rig = new DirectRig();
    await rig.wrist(true);
    const early = (await rig.readScreen()).setupCode;
    expect(early).toHaveLength(6);
    await rig.call('startEnrollment', {});
    const fresh = (await rig.readScreen()).setupCode;
    expect(fresh).not.toBe(early);
    expect((await rig.refusal('verifySetupCode', { setupCode: early })).code).toBe('ERROR_CODE_SETUP_CODE_MISMATCH');
  });

  it('is case-insensitive', async () => {
    const rig = new DirectRig();
    await rig.wrist(true);
    await rig.call('startEnrollment', {});
    await rig.call('verifySetupCode', { setupCode: (await rig.readScreen()).setupCode.toLowerCase() });
    await rig.screen('SCREEN_ADD_USER');
  });

  it('three wrong codes draw a new one, announced by ScreenChanged', async () => {
    const rig = new DirectRig();
    await rig.wrist(true);
    await rig.call('startEnrollment', {});
    const first = (await rig.readScreen()).setupCode;
    const wrong = first === 'AAAAAA' ? 'CCCCCC' : 'AAAAAA';
    const r1 = await rig.refusal('verifySetupCode', { setupCode: wrong });
    expect(r1.code).toBe('ERROR_CODE_SETUP_CODE_MISMATCH');
    expect(r1.message).toMatch(/2 tries/);
    expect((await rig.refusal('verifySetupCode', { setupCode: wrong })).message).toMatch(/1 try/);
    const screensBefore = rig.eventsOf('screenChanged').length;
    const r3 = await rig.refusal('verifySetupCode', { setupCode: wrong });
    expect(r3.message).toMatch(/new code/);
    expect(rig.eventsOf('screenChanged').length).toBe(screensBefore + 1);
    const second = (await rig.readScreen()).setupCode;
    expect(second).not.toBe(first);
    expect((await rig.refusal('verifySetupCode', { setupCode: first })).code).toBe('ERROR_CODE_SETUP_CODE_MISMATCH');
    await rig.call('verifySetupCode', { setupCode: second });
    await rig.screen('SCREEN_ADD_USER');
  });

  it('longer than 8 bytes is INVALID_ARGUMENT and does not count as a try', async () => {
    const rig = new DirectRig();
    await rig.wrist(true);
    await rig.call('startEnrollment', {});
    const code = (await rig.readScreen()).setupCode;
    for (let i = 0; i < 3; i++)
      expect((await rig.refusal('verifySetupCode', { setupCode: 'ABCDEFGHI' })).code).toBe(
        'ERROR_CODE_INVALID_ARGUMENT',
      );
    expect((await rig.readScreen()).setupCode).toBe(code);
  });
});

describe('fingerprint capture', () => {
  it('alternates TOUCH SENSOR / LIFT FINGER and reports every touch', async () => {
    const rig = new DirectRig();
    await toAddUser(rig);
    expect(await rig.call('startCapture', {})).toEqual({ touchesRequired: 6 });
    await rig.screen('SCREEN_TOUCH_SENSOR');
    for (let i = 1; i <= 5; i++) {
      await rig.fingerOn(FINGER);
      await rig.screen('SCREEN_LIFT_FINGER');
      await rig.fingerOff();
      await rig.screen('SCREEN_TOUCH_SENSOR');
    }
    await rig.fingerOn(FINGER);
    await rig.screen('SCREEN_SUCCESS');
    expect(rig.eventsOf('captureProgress')).toEqual(
      [1, 2, 3, 4, 5, 6].map((goodTouches) => ({ goodTouches, touchesRequired: 6, rejected: false })),
    );
  });

  it('rejects poor touches and other fingers without counting them', async () => {
    const rig = new DirectRig();
    await toAddUser(rig);
    await rig.call('startCapture', {});
    await rig.touch(FINGER, { poorQuality: true });
    await rig.touch(FINGER);
    await rig.touch('tw-user2/left-thumb');
    await rig.touch(FINGER, { poorQuality: true });
    expect(rig.eventsOf('captureProgress')).toEqual([
      { goodTouches: 0, touchesRequired: 6, rejected: true },
      { goodTouches: 1, touchesRequired: 6, rejected: false },
      { goodTouches: 1, touchesRequired: 6, rejected: true },
      { goodTouches: 1, touchesRequired: 6, rejected: true },
    ]);
    for (let i = 0; i < 4; i++) await rig.touch(FINGER);
    await rig.screen('SCREEN_TOUCH_SENSOR');
    await rig.touch(FINGER);
    await rig.screen('SCREEN_SUCCESS');
    // The template is the first good finger's: it authenticates, the other finger does not.
    await rig.call('completeEnrollment', { userName: USER, hapticFeedback: false });
    await rig.wrist(false);
    await rig.wrist(true);
    await rig.touch('tw-user2/left-thumb');
    await rig.advance(1_000);
    await rig.screen('SCREEN_NO_MATCH');
  });

  it('a finger already on the sensor at start must lift first', async () => {
    const rig = new DirectRig();
    await toAddUser(rig);
    await rig.fingerOn(FINGER);
    await rig.call('startCapture', {});
    await rig.screen('SCREEN_LIFT_FINGER');
    expect(rig.eventsOf('captureProgress')).toEqual([]);
    await rig.fingerOff();
    await rig.screen('SCREEN_TOUCH_SENSOR');
  });
});

describe('complete enrollment', () => {
  it('stores everything in one commit, vibrates twice and ends authenticated', async () => {
    const rig = new DirectRig();
    await toCaptured(rig);
    const commits = rig.commitSequence;
    const reply = await rig.call('completeEnrollment', { userName: 'tw-user2', label: 'Ward 7', hapticFeedback: true });
    expect(reply.label).toBe('WARD 7');
    expect(rig.commitSequence - commits).toBe(1);
    await rig.screen('SCREEN_AUTHENTICATED');
    expect(rig.eventsOf('vibrated')).toEqual([{ count: 2 }]);
    expect(rig.eventsOf('authenticationChanged')).toEqual([
      { authenticated: true, reason: 'AUTHENTICATION_REASON_ENROLLED' },
    ]);
    const state = await rig.call('getState', {});
    expect(state).toMatchObject({
      enrolled: true,
      userName: 'tw-user2',
      label: 'WARD 7',
      hapticFeedback: true,
      state: 'BAND_STATE_AUTHENTICATED',
    });
    expect((await rig.readScreen()).label).toBe('WARD 7');
  });

  it('the template is a salted hash: the finger identity is nowhere in flash', async () => {
    const rig = new DirectRig();
    await enroll(rig);
    const image = rig.world.storage.medium.read('band.journal')!;
    expect(Buffer.from(image).includes(Buffer.from(FINGER))).toBe(false);
    expect(Buffer.from(image).includes(Buffer.from(USER))).toBe(true);
  });

  it.each([
    ['', 'user name'],
    ['x'.repeat(65), 'user name'],
    ['tab\there', 'user name'],
  ])('refuses user name %j', async (userName, what) => {
    const rig = new DirectRig();
    await toCaptured(rig);
    const refused = await rig.refusal('completeEnrollment', { userName, hapticFeedback: true });
    expect(refused.code).toBe('ERROR_CODE_INVALID_ARGUMENT');
    expect(refused.message).toContain(what);
    await rig.screen('SCREEN_SUCCESS');
  });

  it.each([' LEAD', 'TRAIL ', 'THIRTEEN CHAR', 'NAÏVE', 'TAB\tX'])(
    'refuses label %j and stores nothing',
    async (label) => {
      const rig = new DirectRig();
      await toCaptured(rig);
      const keys = rig.band.store.keys();
      const refused = await rig.refusal('completeEnrollment', { userName: USER, label, hapticFeedback: true });
      expect(refused.code).toBe('ERROR_CODE_INVALID_ARGUMENT');
      expect(refused.state).toBe('BAND_STATE_CAPTURED');
      expect(rig.band.store.keys()).toEqual(keys);
    },
  );

  it('a band holding user data refuses a new enrollment until it is wiped', async () => {
    const rig = new DirectRig();
    await enroll(rig);
    const refused = await rig.refusal('startEnrollment', {});
    expect(refused.code).toBe('ERROR_CODE_USER_DATA_PRESENT');
    expect(refused.message).toMatch(/delete user data/);
  });

  it('cancel and wrist removal store nothing', async () => {
    for (const abort of ['cancel', 'wrist'] as const) {
      const rig = new DirectRig();
      await toCaptured(rig);
      if (abort === 'cancel') await rig.call('cancelEnrollment', {});
      else await rig.wrist(false);
      expect(rig.band.store.keys('user/')).toEqual([]);
      expect((await rig.call('getState', {})).enrolled).toBe(false);
      expect(await rig.state()).toBe('BAND_STATE_UNENROLLED');
    }
  });
});

describe('labels', () => {
  it('default label: user name upper-cased, 12 characters, undrawable as ?', () => {
    expect(defaultLabel('tw-user2')).toBe('TW-USER2');
    expect(defaultLabel('José.Ñúñez')).toBe('JOS?.???EZ');
    expect(defaultLabel('a.very.long.user.name')).toBe('A.VERY.LONG.');
    expect(defaultLabel('名前')).toBe('??');
  });

  it('custom label rule', () => {
    expect(checkCustomLabel('ward 7!')).toEqual({ ok: true, label: 'WARD 7!' });
    expect(checkCustomLabel('~{}[]|\\^_`@')).toEqual({ ok: true, label: '~{}[]|\\^_`@' });
    expect(checkCustomLabel('A'.repeat(12)).ok).toBe(true);
    expect(checkCustomLabel('A'.repeat(13)).ok).toBe(false);
    expect(checkCustomLabel(' A').ok).toBe(false);
    expect(checkCustomLabel('A ').ok).toBe(false);
    expect(checkCustomLabel('É').ok).toBe(false);
  });

  it('set_label changes the label atomically; empty restores the default', async () => {
    const rig = new DirectRig();
    await enroll(rig, { userName: 'nurse.ratched@example' });
    expect((await rig.call('getState', {})).label).toBe('NURSE.RATCHE');
    const commits = rig.commitSequence;
    expect(await rig.call('setLabel', { label: 'night shift' })).toEqual({ label: 'NIGHT SHIFT' });
    expect(rig.commitSequence - commits).toBe(1);
    expect((await rig.refusal('setLabel', { label: 'night shift 2' })).code).toBe('ERROR_CODE_INVALID_ARGUMENT');
    await rig.reboot();
    expect((await rig.call('getState', {})).label).toBe('NIGHT SHIFT');
  });

  it('set_settings switches the removal vibration', async () => {
    const rig = new DirectRig();
    await enroll(rig, { hapticFeedback: true });
    await rig.call('setSettings', { hapticFeedback: false });
    await rig.wrist(false);
    expect(rig.eventsOf('vibrated')).toEqual([{ count: 2 }]);
    expect(rig.eventsOf('authenticationChanged').at(-1)).toEqual({
      authenticated: false,
      reason: 'AUTHENTICATION_REASON_REMOVED_FROM_WRIST',
    });
    expect((await rig.call('getState', {})).hapticFeedback).toBe(false);
  });
});
