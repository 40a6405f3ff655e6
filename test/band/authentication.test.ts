import { describe, expect, it } from 'vitest';
import { DirectRig, FINGER, enroll } from './harness.js';

async function worn(options: { hapticFeedback?: boolean } = {}) {
  const rig = new DirectRig();
  await enroll(rig, options);
  await rig.wrist(false);
  await rig.wrist(true);
  await rig.screen('SCREEN_AUTHENTICATION_REQUIRED');
  return rig;
}

const OTHER = 'mallory/right-index';

describe('authentication', () => {
  it('match and heartbeat: IN PROGRESS, then AUTHENTICATED 3 s after the touch', async () => {
    const rig = await worn();
    await rig.touch(FINGER);
    await rig.screen('SCREEN_AUTHENTICATION_IN_PROGRESS');
    await rig.advance(2_999);
    await rig.screen('SCREEN_AUTHENTICATION_IN_PROGRESS');
    await rig.advance(1);
    await rig.screen('SCREEN_AUTHENTICATED');
    expect(rig.eventsOf('authenticationChanged').at(-1)).toEqual({
      authenticated: true,
      reason: 'AUTHENTICATION_REASON_MATCHED',
    });
  });

  it('NO MATCH 1 s after a touch of another finger, for 2 s', async () => {
    const rig = await worn();
    await rig.touch(OTHER);
    await rig.advance(999);
    await rig.screen('SCREEN_AUTHENTICATION_IN_PROGRESS');
    await rig.advance(1);
    await rig.screen('SCREEN_NO_MATCH');
    expect(rig.eventsOf('authenticationChanged').at(-1)).toEqual({
      authenticated: false,
      reason: 'AUTHENTICATION_REASON_NO_MATCH',
    });
    await rig.advance(2_000);
    await rig.screen('SCREEN_AUTHENTICATION_REQUIRED');
  });

  it('a poor-quality touch of the right finger does not match', async () => {
    const rig = await worn();
    await rig.touch(FINGER, { poorQuality: true });
    await rig.advance(1_000);
    await rig.screen('SCREEN_NO_MATCH');
  });

  it('NO ECG 13 s after a matching touch without a heartbeat', async () => {
    const rig = await worn();
    await rig.touch(FINGER, { liveness: false });
    await rig.advance(12_999);
    await rig.screen('SCREEN_AUTHENTICATION_IN_PROGRESS');
    await rig.advance(1);
    await rig.screen('SCREEN_NO_ECG');
    expect(rig.eventsOf('authenticationChanged').at(-1)).toEqual({
      authenticated: false,
      reason: 'AUTHENTICATION_REASON_NO_ECG',
    });
    expect((await rig.call('getState', {})).failedMatches).toBe(1);
  });

  it('CENTER FINGER after more than 3 failures in a row, until the next touch', async () => {
    const rig = await worn();
    for (let i = 1; i <= 3; i++) {
      await rig.touch(OTHER);
      await rig.advance(3_000);
      await rig.screen('SCREEN_AUTHENTICATION_REQUIRED');
    }
    await rig.touch(OTHER);
    await rig.advance(1_000);
    await rig.screen('SCREEN_NO_MATCH');
    await rig.advance(2_000);
    await rig.screen('SCREEN_CENTER_FINGER');
    await rig.advance(60_000);
    await rig.screen('SCREEN_CENTER_FINGER');
    await rig.touch(FINGER);
    await rig.screen('SCREEN_AUTHENTICATION_IN_PROGRESS');
    await rig.advance(3_000);
    await rig.screen('SCREEN_AUTHENTICATED');
    expect((await rig.call('getState', {})).failedMatches).toBe(0);
  });

  it('the 10th failure in a row locks the band; a reboot keeps the lockout; the wipe clears it', async () => {
    const rig = await worn();
    for (let i = 1; i <= 9; i++) {
      await rig.touch(OTHER);
      await rig.advance(1_000);
    }
    await rig.screen('SCREEN_NO_MATCH');
    await rig.touch(OTHER);
    await rig.advance(1_000);
    await rig.screen('SCREEN_LOCKED_OUT');
    expect(rig.eventsOf('authenticationChanged').at(-1)).toEqual({
      authenticated: false,
      reason: 'AUTHENTICATION_REASON_LOCKED_OUT',
    });
    await rig.touch(FINGER);
    await rig.advance(3_000);
    await rig.screen('SCREEN_LOCKED_OUT');
    await rig.reboot();
    await rig.screen('SCREEN_LOCKED_OUT');
    expect((await rig.call('getState', {})).failedMatches).toBe(10);
    expect((await rig.refusal('startEnrollment', {})).code).toBe('ERROR_CODE_LOCKED_OUT');
    await rig.wrist(false);
    await rig.charger(true);
    await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_HOLD', 10_000);
    await rig.screen('SCREEN_USER_DATA_DELETED');
    expect((await rig.call('getState', {})).failedMatches).toBe(0);
    expect(rig.band.store.keys('auth/')).toEqual([]);
  });

  it('a failure is counted in flash before the band shows it', async () => {
    const rig = await worn();
    await rig.touch(OTHER);
    await rig.cutPower(1);
    await rig.advance(1_000);
    expect((await rig.readScreen()).powered).toBe(false);
    await rig.reboot();
    // The write was torn: that failure is lost, but the screen never said NO MATCH either.
    expect(rig.eventsOf('screenChanged').some((e) => e.screen === 'SCREEN_NO_MATCH')).toBe(false);
    await rig.touch(OTHER);
    await rig.advance(1_000);
    await rig.screen('SCREEN_NO_MATCH');
    await rig.reboot();
    expect((await rig.call('getState', {})).failedMatches).toBe(1);
  });

  it('a finger off the wrist does nothing; leaving the wrist abandons a running check', async () => {
    const rig = await worn();
    await rig.wrist(false);
    await rig.touch(FINGER);
    expect(await rig.state()).toBe('BAND_STATE_AUTHENTICATION_REQUIRED');
    await rig.wrist(true);
    await rig.touch(FINGER);
    await rig.wrist(false);
    await rig.advance(20_000);
    expect(await rig.state()).toBe('BAND_STATE_AUTHENTICATION_REQUIRED');
    await rig.screen('SCREEN_BLANK');
    expect((await rig.call('getState', {})).failedMatches).toBe(0);
  });

  it('removal deauthenticates with one vibration when haptic feedback is on, none when off', async () => {
    for (const hapticFeedback of [true, false]) {
      const rig = await worn({ hapticFeedback });
      await rig.touch(FINGER);
      await rig.advance(3_000);
      const before = rig.eventsOf('vibrated').length;
      await rig.wrist(false);
      expect(rig.eventsOf('authenticationChanged').at(-1)).toEqual({
        authenticated: false,
        reason: 'AUTHENTICATION_REASON_REMOVED_FROM_WRIST',
      });
      expect(rig.eventsOf('vibrated').slice(before)).toEqual(hapticFeedback ? [{ count: 1 }] : []);
    }
  });

  it('a reboot never comes back authenticated', async () => {
    const rig = new DirectRig();
    await enroll(rig);
    await rig.reboot();
    await rig.screen('SCREEN_AUTHENTICATION_REQUIRED');
  });
});
