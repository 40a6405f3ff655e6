import { describe, expect, it } from 'vitest';
import { DirectRig, USER, enroll } from './harness.js';

async function enrolledOffWrist() {
  const rig = new DirectRig();
  await enroll(rig);
  await rig.wrist(false);
  return rig;
}

describe('delete user data', () => {
  it('off the wrist, on the charger, bottom button 10 s: vibrates twice, USER DATA DELETED, then NO USER', async () => {
    const rig = await enrolledOffWrist();
    rig.band.store.commit({ put: { 'fido2/master': new Uint8Array(32), 'fido2/rk/aa/bb': Uint8Array.of(1) } });
    await rig.charger(true);
    await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_DOWN');
    await rig.advance(9_999);
    expect((await rig.call('getState', {})).enrolled).toBe(true);
    const vibrations = rig.eventsOf('vibrated').length;
    await rig.advance(1);
    await rig.screen('SCREEN_USER_DATA_DELETED');
    expect(rig.eventsOf('vibrated').slice(vibrations)).toEqual([{ count: 2 }]);
    expect(rig.eventsOf('userDataDeleted')).toHaveLength(1);
    await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_UP');
    await rig.advance(2_000);
    await rig.screen('SCREEN_NO_USER');
    expect(rig.band.store.keys()).toEqual(['device/id']);
    expect(await rig.call('getState', {})).toMatchObject({
      enrolled: false,
      userName: '',
      label: '',
      failedMatches: 0,
    });
  });

  it('the wipe is one commit', async () => {
    const rig = await enrolledOffWrist();
    await rig.charger(true);
    const commits = rig.commitSequence;
    await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_HOLD', 10_000);
    expect(rig.commitSequence - commits).toBe(1);
  });

  it.each([
    ['on the wrist', async (rig: DirectRig) => rig.wrist(true)],
    ['off the charger', async (rig: DirectRig) => rig.charger(false)],
  ])('does nothing %s', async (_what, spoil) => {
    const rig = await enrolledOffWrist();
    await rig.charger(true);
    await spoil(rig);
    await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_HOLD', 30_000);
    expect((await rig.call('getState', {})).enrolled).toBe(true);
  });

  it('releasing early, or lifting it off the charger mid-hold, starts the 10 s over', async () => {
    const rig = await enrolledOffWrist();
    await rig.charger(true);
    await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_HOLD', 9_000);
    await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_DOWN');
    await rig.advance(5_000);
    await rig.charger(false);
    await rig.advance(1_000);
    await rig.charger(true);
    await rig.advance(9_000);
    expect((await rig.call('getState', {})).enrolled).toBe(true);
    await rig.advance(1_000);
    expect((await rig.call('getState', {})).enrolled).toBe(false);
  });

  it('one wipe per hold', async () => {
    const rig = await enrolledOffWrist();
    await rig.charger(true);
    await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_HOLD', 60_000);
    expect(rig.eventsOf('userDataDeleted')).toHaveLength(1);
  });

  it('a host can only ask: the band prompts and says what the wearer must do', async () => {
    const rig = new DirectRig();
    await enroll(rig);
    expect(await rig.call('deleteUserData', {})).toEqual({
      removeFromWrist: true,
      placeOnCharger: true,
      holdBottomButtonMs: 10_000,
    });
    await rig.screen('SCREEN_DELETE_USER_DATA');
    await rig.advance(120_000);
    expect((await rig.call('getState', {})).enrolled).toBe(true);
    // Asking again changes nothing and answers what is still missing.
    await rig.wrist(false);
    expect(await rig.call('deleteUserData', {})).toEqual({
      removeFromWrist: false,
      placeOnCharger: true,
      holdBottomButtonMs: 10_000,
    });
    expect(rig.eventsOf('authenticationChanged').at(-1)?.reason).toBe('AUTHENTICATION_REASON_REMOVED_FROM_WRIST');
    await rig.charger(true);
    await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_HOLD', 10_000);
    await rig.screen('SCREEN_USER_DATA_DELETED');
    expect(await rig.state()).toBe('BAND_STATE_UNENROLLED');
  });

  it('a cancelled prompt off the wrist comes back to AUTHENTICATION_REQUIRED, not AUTHENTICATED', async () => {
    const rig = new DirectRig();
    await enroll(rig);
    await rig.call('deleteUserData', {});
    await rig.wrist(false);
    await rig.wrist(true);
    await rig.call('cancelDeleteUserData', {});
    await rig.screen('SCREEN_AUTHENTICATION_REQUIRED');
  });

  it('re-enrollment after a wipe is the same enrollment', async () => {
    const rig = await enrolledOffWrist();
    const deviceId = rig.band.deviceId;
    await rig.charger(true);
    await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_HOLD', 10_000);
    await rig.charger(false);
    await enroll(rig, { userName: 'tw-user3', finger: 'tw-user3/left-index' });
    expect(await rig.call('getState', {})).toMatchObject({ userName: 'tw-user3', state: 'BAND_STATE_AUTHENTICATED' });
    expect(rig.band.deviceId).toEqual(deviceId);
    expect((await rig.call('getState', {})).userName).not.toBe(USER);
  });
});
