import { ENROLLING_STATES, type BandState } from '../proto/index.js';

/**
 * The band's state machine as data. The firmware moves between states only through `Band.go` (firmware-sim/band.ts), which
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
  | 'ctap_enroll_begin'
  | 'remove_enrollment'
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
  // authenticatorBioEnrollment enrollBegin: a platform holding a be token enrolls the wearer (no setup code).
  ...t('BAND_STATE_UNENROLLED', 'BAND_STATE_CAPTURING', 'ctap_enroll_begin'),

  ...t('BAND_STATE_AWAITING_SETUP_CODE', 'BAND_STATE_ADD_USER', 'verify_setup_code'),
  ...t('BAND_STATE_AWAITING_SETUP_CODE', 'BAND_STATE_UNENROLLED', 'cancel_enrollment', 'wrist_off'),
  ...t('BAND_STATE_ADD_USER', 'BAND_STATE_CAPTURING', 'start_capture'),
  ...t('BAND_STATE_ADD_USER', 'BAND_STATE_UNENROLLED', 'cancel_enrollment', 'wrist_off'),
  ...t('BAND_STATE_CAPTURING', 'BAND_STATE_CAPTURED', 'capture_complete'),
  ...t('BAND_STATE_CAPTURING', 'BAND_STATE_UNENROLLED', 'cancel_enrollment', 'wrist_off'),
  // The last good sample of a CTAP enrollment stores the local user; the wearer then authenticates as usual.
  ...t('BAND_STATE_CAPTURING', 'BAND_STATE_AUTHENTICATION_REQUIRED', 'complete_enrollment'),
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
  // authenticatorBioEnrollment removeEnrollment of a local user's template.
  ...t('BAND_STATE_AUTHENTICATION_REQUIRED', 'BAND_STATE_UNENROLLED', 'remove_enrollment'),
  ...t('BAND_STATE_AUTHENTICATING', 'BAND_STATE_UNENROLLED', 'remove_enrollment'),
  ...t('BAND_STATE_AUTHENTICATED', 'BAND_STATE_UNENROLLED', 'remove_enrollment'),
  ...t('BAND_STATE_LOCKED_OUT', 'BAND_STATE_UNENROLLED', 'remove_enrollment'),

  ...t('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_UNENROLLED', 'wipe', 'cancel_delete_user_data'),
  ...t('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_AUTHENTICATION_REQUIRED', 'cancel_delete_user_data'),
  ...t('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_AUTHENTICATED', 'cancel_delete_user_data'),
  ...t('BAND_STATE_DELETE_PROMPT', 'BAND_STATE_LOCKED_OUT', 'cancel_delete_user_data'),
];

export function isTransition(from: Transition['from'], to: BandState, on: Trigger): boolean {
  return TRANSITIONS.some((x) => x.from === from && x.to === to && x.on === on);
}

/** The four states of an enrollment session (proto's list): taking the band off the wrist in any of them ends it. */
export { ENROLLING_STATES };
