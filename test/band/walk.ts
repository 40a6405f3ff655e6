import { expect } from 'vitest';
import { BOOT, TRANSITIONS, type Transition, type Trigger } from '../../firmware-sim/index.js';
import type { BandState, ErrorCode, Init } from '../../proto/index.js';
import { Permission, type EnrollSample, type PinUvAuthToken, type TransactOptions } from '../../host/fido2/index.js';
import { KeepaliveStatus } from '../../transport/index.js';
import { FINGER, USER, wipeOnBand, type RequestName, type RequestOf, type Rig } from './harness.js';

const SAMPLE: { [K in RequestName]: Init<RequestOf<K>> } = {
  getInfo: {},
  getState: {},
  deleteUserData: {},
  cancelDeleteUserData: {},
  startEnrollment: {},
  verifySetupCode: { setupCode: 'AAAAAA' },
  startCapture: {},
  completeEnrollment: { userName: USER, label: '', hapticFeedback: true },
  cancelEnrollment: {},
  setLabel: { label: 'X' },
  setSettings: { hapticFeedback: false },
  listFidoCredentials: {},
  getSeosStatus: {},
};

const W = 'ERROR_CODE_WRONG_STATE';
const NE = 'ERROR_CODE_NOT_ENROLLED';
const NA = 'ERROR_CODE_NOT_AUTHENTICATED';
const ENROLLING_REFUSALS = {
  deleteUserData: W,
  cancelDeleteUserData: W,
  startEnrollment: W,
  setLabel: NE,
  setSettings: NE,
  listFidoCredentials: NA,
} as const;
const USER_REFUSALS = {
  cancelDeleteUserData: W,
  verifySetupCode: W,
  startCapture: W,
  completeEnrollment: W,
  cancelEnrollment: W,
} as const;

/**
 * The refusal matrix written out a second time, by hand, from band.proto and docs/band.md: the walk
 * checks the band against this, not against the table the band itself consults.
 */
export const EXPECTED_REFUSALS: Record<
  Exclude<BandState, 'BAND_STATE_UNSPECIFIED'>,
  Partial<Record<RequestName, ErrorCode>>
> = {
  BAND_STATE_UNENROLLED: { ...USER_REFUSALS, setLabel: NE, setSettings: NE, listFidoCredentials: NA },
  BAND_STATE_AWAITING_SETUP_CODE: { ...ENROLLING_REFUSALS, startCapture: W, completeEnrollment: W },
  BAND_STATE_ADD_USER: { ...ENROLLING_REFUSALS, verifySetupCode: W, completeEnrollment: W },
  BAND_STATE_CAPTURING: { ...ENROLLING_REFUSALS, verifySetupCode: W, startCapture: W, completeEnrollment: W },
  BAND_STATE_CAPTURED: { ...ENROLLING_REFUSALS, verifySetupCode: W, startCapture: W },
  BAND_STATE_AUTHENTICATION_REQUIRED: {
    ...USER_REFUSALS,
    startEnrollment: 'ERROR_CODE_USER_DATA_PRESENT',
    setLabel: NA,
    setSettings: NA,
    listFidoCredentials: NA,
  },
  BAND_STATE_AUTHENTICATING: {
    ...USER_REFUSALS,
    startEnrollment: 'ERROR_CODE_USER_DATA_PRESENT',
    setLabel: NA,
    setSettings: NA,
    listFidoCredentials: NA,
  },
  BAND_STATE_AUTHENTICATED: { ...USER_REFUSALS, startEnrollment: 'ERROR_CODE_USER_DATA_PRESENT' },
  BAND_STATE_LOCKED_OUT: {
    ...USER_REFUSALS,
    startEnrollment: 'ERROR_CODE_LOCKED_OUT',
    setLabel: NA,
    setSettings: NA,
    listFidoCredentials: NA,
  },
  BAND_STATE_DELETE_PROMPT: {
    startEnrollment: W,
    verifySetupCode: W,
    startCapture: W,
    completeEnrollment: W,
    cancelEnrollment: W,
    setLabel: W,
    setSettings: W,
    listFidoCredentials: NA,
  },
};

const key = (t: Pick<Transition, 'from' | 'to' | 'on'>) => `${t.from} -> ${t.to} on ${t.on}`;

/**
 * Walks every transition of transitions.ts through the rig (host requests and the body, nothing else),
 * checking the state before and after each, and in every state checks that each request the table
 * refuses there is refused with the table's code, names the state, and changes nothing.
 */
export async function walkEveryTransition(rig: Rig): Promise<{ covered: Set<string>; refusalsChecked: number }> {
  const covered = new Set<string>();
  const refusedIn = new Set<BandState>();
  let refusalsChecked = 0;

  const step = async (from: BandState | typeof BOOT, to: BandState, on: Trigger, action: () => Promise<unknown>) => {
    if (from !== BOOT) expect(await rig.state(), `before ${on}`).toBe(from);
    await action();
    expect(await rig.state(), `after ${from} --${on}-->`).toBe(to);
    covered.add(key({ from, to, on }));
    if (!refusedIn.has(to)) {
      refusedIn.add(to);
      refusalsChecked += await checkRefusals(rig, to);
    }
  };
  const reboot = () => rig.reboot();
  const advance = (ms: number) => () => rig.advance(ms);
  const toCaptured = async () => {
    await rig.call('startEnrollment', {});
    await rig.call('verifySetupCode', { setupCode: (await rig.readScreen()).setupCode });
    await rig.call('startCapture', {});
    for (let i = 0; i < 5; i++) await rig.touch(FINGER);
  };
  const failMatch = async () => {
    await rig.touch('mallory/right-index');
    await rig.advance(1_000);
  };

  await step(BOOT, 'BAND_STATE_UNENROLLED', 'boot', reboot);
  const offWrist = await rig.refusal('startEnrollment', {});
  expect(offWrist.code).toBe('ERROR_CODE_WRONG_STATE');
  expect(offWrist.message).toMatch(/wrist/);
  await step('BAND_STATE_UNENROLLED', 'BAND_STATE_DELETE_PROMPT', 'delete_user_data', () =>
    rig.call('deleteUserData', {}),
  );
  await step('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_UNENROLLED', 'cancel_delete_user_data', () =>
    rig.call('cancelDeleteUserData', {}),
  );
  await step('BAND_STATE_UNENROLLED', 'BAND_STATE_DELETE_PROMPT', 'delete_user_data', () =>
    rig.call('deleteUserData', {}),
  );
  await step('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_UNENROLLED', 'wipe', () => wipeOnBand(rig));
  await rig.screen('SCREEN_USER_DATA_DELETED');
  await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_DOWN');
  await step('BAND_STATE_UNENROLLED', 'BAND_STATE_UNENROLLED', 'wipe', advance(10_000));
  await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_UP');
  await rig.charger(false);
  await rig.advance(2_000);
  await rig.screen('SCREEN_NO_USER');
  await rig.wrist(true);
  await rig.screen('SCREEN_SETUP_CODE');

  await step('BAND_STATE_UNENROLLED', 'BAND_STATE_AWAITING_SETUP_CODE', 'start_enrollment', () =>
    rig.call('startEnrollment', {}),
  );
  await step('BAND_STATE_AWAITING_SETUP_CODE', 'BAND_STATE_UNENROLLED', 'cancel_enrollment', () =>
    rig.call('cancelEnrollment', {}),
  );
  await rig.call('startEnrollment', {});
  await step('BAND_STATE_AWAITING_SETUP_CODE', 'BAND_STATE_UNENROLLED', 'wrist_off', () => rig.wrist(false));
  await rig.wrist(true);
  await rig.call('startEnrollment', {});
  const code = (await rig.readScreen()).setupCode;
  await step('BAND_STATE_AWAITING_SETUP_CODE', 'BAND_STATE_ADD_USER', 'verify_setup_code', () =>
    rig.call('verifySetupCode', { setupCode: code.toLowerCase() }),
  );
  await step('BAND_STATE_ADD_USER', 'BAND_STATE_UNENROLLED', 'cancel_enrollment', () =>
    rig.call('cancelEnrollment', {}),
  );
  await rig.call('startEnrollment', {});
  await rig.call('verifySetupCode', { setupCode: (await rig.readScreen()).setupCode });
  await step('BAND_STATE_ADD_USER', 'BAND_STATE_UNENROLLED', 'wrist_off', () => rig.wrist(false));
  await rig.wrist(true);
  await rig.call('startEnrollment', {});
  await rig.call('verifySetupCode', { setupCode: (await rig.readScreen()).setupCode });
  await step('BAND_STATE_ADD_USER', 'BAND_STATE_CAPTURING', 'start_capture', () => rig.call('startCapture', {}));
  await step('BAND_STATE_CAPTURING', 'BAND_STATE_UNENROLLED', 'cancel_enrollment', () =>
    rig.call('cancelEnrollment', {}),
  );
  await toCaptured();
  await step('BAND_STATE_CAPTURING', 'BAND_STATE_UNENROLLED', 'wrist_off', () => rig.wrist(false));
  await rig.wrist(true);
  await toCaptured();
  await step('BAND_STATE_CAPTURING', 'BAND_STATE_CAPTURED', 'capture_complete', () => rig.touch(FINGER));
  await step('BAND_STATE_CAPTURED', 'BAND_STATE_UNENROLLED', 'cancel_enrollment', () =>
    rig.call('cancelEnrollment', {}),
  );
  await toCaptured();
  await rig.touch(FINGER);
  await step('BAND_STATE_CAPTURED', 'BAND_STATE_UNENROLLED', 'wrist_off', () => rig.wrist(false));
  await rig.wrist(true);
  await toCaptured();
  await rig.touch(FINGER);
  await step('BAND_STATE_CAPTURED', 'BAND_STATE_AUTHENTICATED', 'complete_enrollment', () =>
    rig.call('completeEnrollment', SAMPLE.completeEnrollment),
  );

  await step('BAND_STATE_AUTHENTICATED', 'BAND_STATE_DELETE_PROMPT', 'delete_user_data', () =>
    rig.call('deleteUserData', {}),
  );
  await step('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_AUTHENTICATED', 'cancel_delete_user_data', () =>
    rig.call('cancelDeleteUserData', {}),
  );
  await step('BAND_STATE_AUTHENTICATED', 'BAND_STATE_AUTHENTICATION_REQUIRED', 'wrist_off', () => rig.wrist(false));
  await rig.wrist(true);
  await step('BAND_STATE_AUTHENTICATION_REQUIRED', 'BAND_STATE_AUTHENTICATING', 'finger_on', () => rig.touch(FINGER));
  await step('BAND_STATE_AUTHENTICATING', 'BAND_STATE_AUTHENTICATION_REQUIRED', 'wrist_off', () => rig.wrist(false));
  await rig.wrist(true);
  await rig.touch(FINGER);
  await step('BAND_STATE_AUTHENTICATING', 'BAND_STATE_AUTHENTICATED', 'matched', advance(3_000));
  await rig.wrist(false);
  await rig.wrist(true);
  await rig.touch('mallory/right-index');
  await step('BAND_STATE_AUTHENTICATING', 'BAND_STATE_AUTHENTICATION_REQUIRED', 'no_match', advance(1_000));
  await rig.touch(FINGER, { liveness: false });
  await step('BAND_STATE_AUTHENTICATING', 'BAND_STATE_AUTHENTICATION_REQUIRED', 'no_ecg', advance(13_000));
  await step('BAND_STATE_AUTHENTICATION_REQUIRED', 'BAND_STATE_DELETE_PROMPT', 'delete_user_data', () =>
    rig.call('deleteUserData', {}),
  );
  await step('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_AUTHENTICATION_REQUIRED', 'cancel_delete_user_data', () =>
    rig.call('cancelDeleteUserData', {}),
  );
  await rig.touch(FINGER);
  await step('BAND_STATE_AUTHENTICATING', 'BAND_STATE_DELETE_PROMPT', 'delete_user_data', () =>
    rig.call('deleteUserData', {}),
  );
  await rig.call('cancelDeleteUserData', {});
  await step(BOOT, 'BAND_STATE_AUTHENTICATION_REQUIRED', 'boot', reboot);

  // Two failures so far; seven more, and the tenth locks the band.
  for (let i = 0; i < 7; i++) await failMatch();
  expect((await rig.call('getState', {})).failedMatches).toBe(9);
  await rig.touch('mallory/right-index');
  await step('BAND_STATE_AUTHENTICATING', 'BAND_STATE_LOCKED_OUT', 'lockout', advance(1_000));
  await step(BOOT, 'BAND_STATE_LOCKED_OUT', 'boot', reboot);
  await step('BAND_STATE_LOCKED_OUT', 'BAND_STATE_DELETE_PROMPT', 'delete_user_data', () =>
    rig.call('deleteUserData', {}),
  );
  await step('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_LOCKED_OUT', 'cancel_delete_user_data', () =>
    rig.call('cancelDeleteUserData', {}),
  );
  await step('BAND_STATE_LOCKED_OUT', 'BAND_STATE_UNENROLLED', 'wipe', () => wipeOnBand(rig));

  await rig.charger(false);
  await rig.wrist(true);
  await toCaptured();
  await rig.touch(FINGER);
  await rig.call('completeEnrollment', SAMPLE.completeEnrollment);
  await rig.wrist(false);
  await step('BAND_STATE_AUTHENTICATION_REQUIRED', 'BAND_STATE_UNENROLLED', 'wipe', () => wipeOnBand(rig));

  // authenticatorBioEnrollment: a platform with the PIN enrolls the wearer as a local user, and removes them.
  await rig.charger(false);
  await rig.wrist(true);
  await rig.fido2.clientPin.setPin(WALK_PIN);
  const token = () => rig.fido2.clientPin.getPinToken(WALK_PIN, { permissions: Permission.BIO_ENROLLMENT });
  /** Sends one sample request; once the band asks for the finger (KEEPALIVE UPNEEDED), `act` runs. */
  const sample = async (call: (opts: TransactOptions) => Promise<EnrollSample>, act: () => Promise<unknown>) => {
    let asked!: () => void;
    const upNeeded = new Promise<void>((resolve) => (asked = resolve));
    const pending = call({ onKeepalive: (status) => status === KeepaliveStatus.UPNEEDED && asked() });
    await upNeeded;
    await act();
    return pending;
  };
  const enrollOverCtap = async (be: PinUvAuthToken, last?: () => Promise<void>) => {
    let s = await sample(
      (opts) => rig.fido2.bio.enrollBegin(be, {}, opts),
      () => rig.touch(FINGER),
    );
    while (s.remaining > 1)
      s = await sample(
        (opts) => rig.fido2.bio.captureNext(be, s.templateId, {}, opts),
        () => rig.touch(FINGER),
      );
    const templateId = s.templateId;
    await (
      last ??
      (() =>
        sample(
          (opts) => rig.fido2.bio.captureNext(be, templateId, {}, opts),
          () => rig.touch(FINGER),
        ))
    )();
    return templateId;
  };
  let be = await token();
  let pending: Promise<EnrollSample> | undefined;
  await step('BAND_STATE_UNENROLLED', 'BAND_STATE_CAPTURING', 'ctap_enroll_begin', async () => {
    let asked!: () => void;
    const upNeeded = new Promise<void>((resolve) => (asked = resolve));
    pending = rig.fido2.bio.enrollBegin(
      be,
      {},
      { onKeepalive: (status) => status === KeepaliveStatus.UPNEEDED && asked() },
    );
    await upNeeded;
  });
  await rig.touch(FINGER);
  let s = await pending!;
  while (s.remaining > 1)
    s = await sample(
      (opts) => rig.fido2.bio.captureNext(be, s.templateId, {}, opts),
      () => rig.touch(FINGER),
    );
  let templateId = s.templateId;
  await step('BAND_STATE_CAPTURING', 'BAND_STATE_AUTHENTICATION_REQUIRED', 'complete_enrollment', () =>
    sample(
      (opts) => rig.fido2.bio.captureNext(be, templateId, {}, opts),
      () => rig.touch(FINGER),
    ),
  );
  await rig.advance(2_000);
  await step('BAND_STATE_AUTHENTICATION_REQUIRED', 'BAND_STATE_UNENROLLED', 'remove_enrollment', () =>
    rig.fido2.bio.remove(be, templateId),
  );
  be = await token();
  templateId = await enrollOverCtap(be);
  await rig.advance(2_000);
  await rig.touch(FINGER);
  await step('BAND_STATE_AUTHENTICATING', 'BAND_STATE_UNENROLLED', 'remove_enrollment', () =>
    rig.fido2.bio.remove(be, templateId),
  );
  be = await token();
  templateId = await enrollOverCtap(be);
  await rig.advance(2_000);
  await rig.touch(FINGER);
  await rig.advance(3_000);
  await step('BAND_STATE_AUTHENTICATED', 'BAND_STATE_UNENROLLED', 'remove_enrollment', () =>
    rig.fido2.bio.remove(be, templateId),
  );
  be = await token();
  templateId = await enrollOverCtap(be);
  await rig.advance(2_000);
  for (let i = 0; i < 9; i++) await failMatch();
  await rig.touch('mallory/right-index');
  await step('BAND_STATE_AUTHENTICATING', 'BAND_STATE_LOCKED_OUT', 'lockout', advance(1_000));
  await step('BAND_STATE_LOCKED_OUT', 'BAND_STATE_UNENROLLED', 'remove_enrollment', () =>
    rig.fido2.bio.remove(be, templateId),
  );
  return { covered, refusalsChecked };
}

const WALK_PIN = '2468';

/** Sends every request the table refuses in `state`; returns how many it checked. */
async function checkRefusals(rig: Rig, state: BandState): Promise<number> {
  let checked = 0;
  const before = await rig.readScreen();
  const expectations = EXPECTED_REFUSALS[state as keyof typeof EXPECTED_REFUSALS];
  for (const [name, expected] of Object.entries(expectations) as [RequestName, ErrorCode][]) {
    const refused = await rig.refusal(name, SAMPLE[name]);
    expect(refused.code, `${name} in ${state}`).toBe(expected);
    expect(refused.state, `${name} in ${state}`).toBe(state);
    expect(refused.message).toContain(state);
    checked++;
  }
  const after = await rig.readScreen();
  expect({ ...after, storageWrites: 0 }, `refusals changed the band in ${state}`).toEqual({
    ...before,
    storageWrites: 0,
  });
  expect(after.storageWrites).toBe(before.storageWrites);
  return checked;
}

export const ALL_TRANSITIONS = new Set(TRANSITIONS.map(key));
