import type { BandState, Screen } from '../proto/index.js';

/**
 * The screen each state shows when nothing is drawn over it (docs/band.md, "States and screens"). `capturePrompt` is
 * what CAPTURING alternates between (LIFT FINGER after a touch, TOUCH SENSOR after a lift).
 */
export function screenOf(state: BandState, onWrist: boolean, capturePrompt: Screen): Screen {
  switch (state) {
    case 'BAND_STATE_UNENROLLED':
      return onWrist ? 'SCREEN_SETUP_CODE' : 'SCREEN_NO_USER';
    case 'BAND_STATE_AWAITING_SETUP_CODE':
      return 'SCREEN_SETUP_CODE';
    case 'BAND_STATE_ADD_USER':
      return 'SCREEN_ADD_USER';
    case 'BAND_STATE_CAPTURING':
      return capturePrompt;
    case 'BAND_STATE_CAPTURED':
      return 'SCREEN_SUCCESS';
    case 'BAND_STATE_AUTHENTICATION_REQUIRED':
      // Off the wrist an enrolled band sleeps; putting it on wakes the prompt.
      return onWrist ? 'SCREEN_AUTHENTICATION_REQUIRED' : 'SCREEN_BLANK';
    case 'BAND_STATE_AUTHENTICATING':
      return 'SCREEN_AUTHENTICATION_IN_PROGRESS';
    case 'BAND_STATE_AUTHENTICATED':
      return 'SCREEN_AUTHENTICATED';
    case 'BAND_STATE_LOCKED_OUT':
      return 'SCREEN_LOCKED_OUT';
    case 'BAND_STATE_DELETE_PROMPT':
      return 'SCREEN_DELETE_USER_DATA';
    default:
      return 'SCREEN_BLANK';
  }
}
