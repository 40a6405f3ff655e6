import type { BandState, ErrorCode, HostMessage } from '../proto/index.js';

/**
 * The band's state machine as data. The firmware moves between states only through `Band.go`, which
 * refuses any move not listed here; docs/band.md draws the same table as a Mermaid diagram and
 * test/band/transitions.test.ts checks that the two agree both ways.
 */
export type Trigger =
  | 'boot'
  | 'start_enrollment'
  | 'verify_setup_code'
  | 'start_capture'
  | 'capture_complete'
  | 'complete_enrollment'
  | 'cancel_enrollment'
  | 'wrist_off'
  | 'finger_on'
  | 'matched'
  | 'no_match'
  | 'no_ecg'
  | 'lockout'
  | 'delete_user_data'
  | 'cancel_delete_user_data'
  | 'wipe';

/** `[*]`: power-on, where the band reads its flash and the body and picks a resting state. */
export const BOOT = '[*]';

export interface Transition {
  from: BandState | typeof BOOT;
  to: BandState;
  on: Trigger;
}

const t = (from: Transition['from'], to: BandState, ...on: Trigger[]): Transition[] =>
  on.map((trigger) => ({ from, to, on: trigger }));

export const TRANSITIONS: readonly Transition[] = [
  ...t(BOOT, 'BAND_STATE_UNENROLLED', 'boot'),
  ...t(BOOT, 'BAND_STATE_AUTHENTICATION_REQUIRED', 'boot'),
  ...t(BOOT, 'BAND_STATE_LOCKED_OUT', 'boot'),

  ...t('BAND_STATE_UNENROLLED', 'BAND_STATE_AWAITING_SETUP_CODE', 'start_enrollment'),
  ...t('BAND_STATE_UNENROLLED', 'BAND_STATE_DELETE_PROMPT', 'delete_user_data'),
  ...t('BAND_STATE_UNENROLLED', 'BAND_STATE_UNENROLLED', 'wipe'),

  ...t('BAND_STATE_AWAITING_SETUP_CODE', 'BAND_STATE_ADD_USER', 'verify_setup_code'),
  ...t('BAND_STATE_AWAITING_SETUP_CODE', 'BAND_STATE_UNENROLLED', 'cancel_enrollment', 'wrist_off'),
  ...t('BAND_STATE_ADD_USER', 'BAND_STATE_CAPTURING', 'start_capture'),
  ...t('BAND_STATE_ADD_USER', 'BAND_STATE_UNENROLLED', 'cancel_enrollment', 'wrist_off'),
  ...t('BAND_STATE_CAPTURING', 'BAND_STATE_CAPTURED', 'capture_complete'),
  ...t('BAND_STATE_CAPTURING', 'BAND_STATE_UNENROLLED', 'cancel_enrollment', 'wrist_off'),
  ...t('BAND_STATE_CAPTURED', 'BAND_STATE_AUTHENTICATED', 'complete_enrollment'),
  ...t('BAND_STATE_CAPTURED', 'BAND_STATE_UNENROLLED', 'cancel_enrollment', 'wrist_off'),

  ...t('BAND_STATE_AUTHENTICATION_REQUIRED', 'BAND_STATE_AUTHENTICATING', 'finger_on'),
  ...t('BAND_STATE_AUTHENTICATION_REQUIRED', 'BAND_STATE_DELETE_PROMPT', 'delete_user_data'),
  ...t('BAND_STATE_AUTHENTICATION_REQUIRED', 'BAND_STATE_UNENROLLED', 'wipe'),
  ...t('BAND_STATE_AUTHENTICATING', 'BAND_STATE_AUTHENTICATED', 'matched'),
  ...t('BAND_STATE_AUTHENTICATING', 'BAND_STATE_AUTHENTICATION_REQUIRED', 'no_match', 'no_ecg', 'wrist_off'),
  ...t('BAND_STATE_AUTHENTICATING', 'BAND_STATE_LOCKED_OUT', 'lockout'),
  ...t('BAND_STATE_AUTHENTICATING', 'BAND_STATE_DELETE_PROMPT', 'delete_user_data'),
  ...t('BAND_STATE_AUTHENTICATED', 'BAND_STATE_AUTHENTICATION_REQUIRED', 'wrist_off'),
  ...t('BAND_STATE_AUTHENTICATED', 'BAND_STATE_DELETE_PROMPT', 'delete_user_data'),
  ...t('BAND_STATE_LOCKED_OUT', 'BAND_STATE_DELETE_PROMPT', 'delete_user_data'),
  ...t('BAND_STATE_LOCKED_OUT', 'BAND_STATE_UNENROLLED', 'wipe'),

  ...t('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_UNENROLLED', 'wipe', 'cancel_delete_user_data'),
  ...t('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_AUTHENTICATION_REQUIRED', 'cancel_delete_user_data'),
  ...t('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_AUTHENTICATED', 'cancel_delete_user_data'),
  ...t('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_LOCKED_OUT', 'cancel_delete_user_data'),
];

export function isTransition(from: Transition['from'], to: BandState, on: Trigger): boolean {
  return TRANSITIONS.some((x) => x.from === from && x.to === to && x.on === on);
}

export type RequestName = NonNullable<HostMessage['body']>['case'];

const ENROLLING: BandState[] = [
  'BAND_STATE_AWAITING_SETUP_CODE',
  'BAND_STATE_ADD_USER',
  'BAND_STATE_CAPTURING',
  'BAND_STATE_CAPTURED',
];
const HOLDS_USER: BandState[] = [
  'BAND_STATE_AUTHENTICATION_REQUIRED',
  'BAND_STATE_AUTHENTICATING',
  'BAND_STATE_AUTHENTICATED',
];
const ALL: BandState[] = [
  'BAND_STATE_UNENROLLED',
  ...ENROLLING,
  ...HOLDS_USER,
  'BAND_STATE_LOCKED_OUT',
  'BAND_STATE_DELETE_PROMPT',
];

export interface Acceptance {
  /** States in which the band acts on the request. */
  in: readonly BandState[];
  /** The refusal code in the other states, where it is not ERROR_CODE_WRONG_STATE. */
  refuse?: Partial<Record<BandState, ErrorCode>>;
}

const codes = (states: BandState[], code: ErrorCode) => Object.fromEntries(states.map((s) => [s, code]));

/**
 * Which requests the band acts on in which state; any other state refuses with the code given (default
 * WRONG_STATE), naming the state. Conditions on the body (start_enrollment needs the band on the wrist)
 * are checked after this table, in the handler.
 */
export const ACCEPTS: Readonly<Record<RequestName, Acceptance>> = {
  getInfo: { in: ALL },
  getState: { in: ALL },
  getSeosStatus: { in: ALL },
  deleteUserData: { in: ALL.filter((s) => !ENROLLING.includes(s)) },
  cancelDeleteUserData: { in: ['BAND_STATE_DELETE_PROMPT'] },
  startEnrollment: {
    in: ['BAND_STATE_UNENROLLED'],
    refuse: { ...codes(HOLDS_USER, 'ERROR_CODE_USER_DATA_PRESENT'), BAND_STATE_LOCKED_OUT: 'ERROR_CODE_LOCKED_OUT' },
  },
  verifySetupCode: { in: ['BAND_STATE_AWAITING_SETUP_CODE'] },
  startCapture: { in: ['BAND_STATE_ADD_USER'] },
  completeEnrollment: { in: ['BAND_STATE_CAPTURED'] },
  cancelEnrollment: { in: ENROLLING },
  setLabel: { in: ['BAND_STATE_AUTHENTICATED'], refuse: enrolledOnly() },
  setSettings: { in: ['BAND_STATE_AUTHENTICATED'], refuse: enrolledOnly() },
  listFidoCredentials: {
    in: ['BAND_STATE_AUTHENTICATED'],
    refuse: codes(
      ALL.filter((s) => s !== 'BAND_STATE_AUTHENTICATED'),
      'ERROR_CODE_NOT_AUTHENTICATED',
    ),
  },
};

function enrolledOnly(): Partial<Record<BandState, ErrorCode>> {
  return {
    ...codes(['BAND_STATE_UNENROLLED', ...ENROLLING], 'ERROR_CODE_NOT_ENROLLED'),
    ...codes(
      ['BAND_STATE_AUTHENTICATION_REQUIRED', 'BAND_STATE_AUTHENTICATING', 'BAND_STATE_LOCKED_OUT'],
      'ERROR_CODE_NOT_AUTHENTICATED',
    ),
  };
}

/** The refusal for `request` in `state`, or undefined when the band acts on it. */
export function refusalFor(request: RequestName, state: BandState): ErrorCode | undefined {
  const rule = ACCEPTS[request];
  if (rule.in.includes(state)) return undefined;
  return rule.refuse?.[state] ?? 'ERROR_CODE_WRONG_STATE';
}
